// The panini-fs command line. User errors print one line (no stack trace) and exit with the code's status
// (README "CLI exit codes").
import { parseArgs } from 'node:util';
import { EXIT_STATUS, PaniniError } from '../errors.js';
import { init } from '../wasm/core.js';
import { setupNode } from '../node/setup.js';
import { argError, type Parsed } from './args.js';
import { REPO_USAGE, SERVE_USAGE } from './usage.js';

// Each command group is loaded when it runs (`--version`, `--help` and one command start without the rest of the
// CLI: the server, the repositories, the pipeline and the model code are not parsed for a `compress`).
const commands = () => import('./commands.js');
const container = () => import('./container.js');
const pipeline = () => import('./pipeline.js');
const repo = () => import('./repo.js');

const USAGE = `usage: panini-fs <command> [options]

commands:
  compress IN [-o OUT] [--level 0-9] [--codec dhatu|deflate|plz|pfz] [--strategy fixed|cdc|semantic|adaptive] [--workers N]
           [--memory 512M] [--planner model|trial] [--force] [--json] [-q] [--progress]
                                            IN a file, a directory or - (stdin, needs -o); default OUT is IN.pnz;
                                            default codec dhatu at level 2 (9 the strongest; other codecs: 6);
                                            --planner: trials (default) or the plan selector model
  decompress IN [-o OUT] [--workers N] [--force] [--json] [-q] [--progress]
                                            restores a file, or a tree whose contents land inside OUT
                                            (default OUT is IN without .pnz; - writes a file's bytes to stdout)
  extract IN PATH [-o OUT] [--force] [--json]
                                            one file of a tree by its path, decoding only the records it needs
                                            (default OUT is the file's name; - writes to stdout)
  verify IN [--json]                        checks every checksum and decodes every chunk; exit 0 when intact
  inspect IN [--json]                       chunks, codecs, dhātu distribution, files, dedup, ratio
  validate-reconstruction --original PATH --compressed PNZ|STORE|REPO [--recipe ID] [--snapshot ID] [--json]
                                            the full proof: sizes, whole SHA-256, every chunk, first difference;
                                            a pipeline STORE also prints the dhātu distribution over the job;
                                            a REPO compares a snapshot (default: latest) file by file;
                                            exit 0 when bit-perfect, 1 when not
  hash FILE|- [--json]                      SHA-256 and CRC32 of a file (or stdin)
  chunk FILE|- [--strategy cdc|fixed]       chunk boundaries with each chunk's SHA-256
        [--min-size N] [--avg-size N] [--max-size N] [--size N] [--json]

pipeline (docs/PIPELINE.md): chunk now, compress later on workers, validate from the stored results
  chunk PATH|URL --output STORE [--strategy semantic|cdc|fixed|adaptive] [--block-size 4M] [--level 0-9]
        [--queue Q] [--attempts N] [--label TEXT] [--json]
                                            pending chunks + a reconstruction recipe in STORE (a directory,
                                            s3://…, azure://…); --queue also queues them as a compress job
  enqueue STORE [--recipe ID] [--queue Q]   queue a chunked recipe (default: the newest) as a compress job
  worker [--queue Q] [--concurrency N] [--device auto|cpu|gpu] [--lease SECONDS] [--attempts N] [--exit-when-idle]
         [--verbose]
                                            claim, compress (dhātu), verify and store chunks until stopped
  jobs [ID] [--queue Q] [--json]            jobs with their counts per state, bytes, ratio, dhātu distribution
  reconstruct STORE [--recipe ID] -o OUT [--force]
                                            the original files again, every chunk and file checked
  assemble STORE [--recipe ID] -o OUT.pnz [--force] [--no-verify] [--json]
                                            one container of the input from the stored results (no coding
                                            again); decoded end to end before it takes its name
                  Q is sqlite:PATH or redis://host:port (default: $PANINI_QUEUE, else sqlite: in the data
                  directory $PANINI_DATA or ~/.local/share/panini-fs); --attempts: each task's attempts in all
                  (default 3; a lost lease counts as one)
${REPO_USAGE}
${SERVE_USAGE}

  models list|show NAME|compare NAME@A NAME@B --corpus DIR|use NAME@V|rollback NAME|train [--check] [--name NAME] [--corpus DIR]
         |add FILE --tier personal --name NAME --version X.Y.Z   [--json] [--device auto|cpu|cuda|webgpu]
                                            the encode-side ONNX models (models/README.md)

options:
  --workers N     compress / decompress: worker threads (default: the CPUs, at most 4; the bytes never depend on it)
  --memory SIZE   compress: the peak memory to stay within (default 512M; 1G at dhatu levels 4-9): fewer worker threads
                  where more would not fit, an error when one thread does not (docs/ARCHITECTURE.md "Memory")
  -q, --quiet     compress / decompress: no progress and no summary line (errors still go to stderr)
  --progress      compress / decompress: the progress line (bytes, MB/s, ETA) on stderr even when it is not a terminal
                  (by default it is drawn on a terminal only)
  -h, --help      this help
  -v, --version   the version`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const help = commandHelp(command);
    if (help === undefined) throw new PaniniError('OPTION', `unknown command "${command}" (see panini-fs --help)`, { option: 'command' });
    process.stdout.write(help + '\n');
    return 0;
  }
  setupNode();
  await init();
  current = command;
  switch (command) {
    case 'hash':
      return (await commands()).runHash(parse(rest, { json: { type: 'boolean' } }));
    case 'chunk': {
      const p = parse(rest, {
          strategy: { type: 'string' },
          output: { type: 'string', short: 'o' },
          'block-size': { type: 'string' },
          level: { type: 'string' },
          queue: { type: 'string' },
          attempts: { type: 'string' },
          label: { type: 'string' },
          'min-size': { type: 'string' },
          'avg-size': { type: 'string' },
          'max-size': { type: 'string' },
          size: { type: 'string' },
          json: { type: 'boolean' },
        });
      if (p.values.output === undefined) {
        for (const f of ['block-size', 'level', 'queue', 'attempts', 'label']) if (p.values[f] !== undefined) throw new PaniniError('OPTION', `--${f} applies to chunk --output STORE`, { option: f });
        return (await commands()).runChunk(p);
      }
      for (const f of ['min-size', 'avg-size', 'max-size', 'size']) if (p.values[f] !== undefined) throw new PaniniError('OPTION', `--${f} applies to chunk without --output (use --block-size)`, { option: f });
      return (await pipeline()).runChunkTo(p);
    }
    case 'enqueue':
      return (await pipeline()).runEnqueue(parse(rest, { recipe: { type: 'string' }, queue: { type: 'string' }, attempts: { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } }));
    case 'worker':
      return (await pipeline()).runWorker(parse(rest, { queue: { type: 'string' }, attempts: { type: 'string' }, concurrency: { type: 'string' }, device: { type: 'string' }, lease: { type: 'string' }, 'exit-when-idle': { type: 'boolean' }, verbose: { type: 'boolean' } }));
    case 'jobs':
      return (await pipeline()).runJobs(parse(rest, { queue: { type: 'string' }, json: { type: 'boolean' } }));
    case 'reconstruct':
      return (await pipeline()).runReconstruct(parse(rest, { recipe: { type: 'string' }, output: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } }));
    case 'assemble':
      return (await pipeline()).runAssemble(parse(rest, { recipe: { type: 'string' }, output: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f' }, 'no-verify': { type: 'boolean' }, json: { type: 'boolean' } }));
    case 'compress':
      return (await container()).runCompress(
        parse(rest, {
          output: { type: 'string', short: 'o' },
          level: { type: 'string' },
          codec: { type: 'string' },
          strategy: { type: 'string' },
          workers: { type: 'string' },
          memory: { type: 'string' },
          planner: { type: 'string' },
          force: { type: 'boolean', short: 'f' },
          json: { type: 'boolean' },
          quiet: { type: 'boolean', short: 'q' },
          progress: { type: 'boolean' },
        }),
      );
    case 'decompress':
      return (await container()).runDecompress(
        parse(rest, { output: { type: 'string', short: 'o' }, workers: { type: 'string' }, force: { type: 'boolean', short: 'f' }, json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' }, progress: { type: 'boolean' } }),
      );
    case 'extract':
      return (await container()).runExtract(parse(rest, { output: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } }));
    case 'verify':
      return (await container()).runVerify(parse(rest, { json: { type: 'boolean' } }));
    case 'inspect':
      return (await container()).runInspect(parse(rest, { json: { type: 'boolean' } }));
    case 'validate-reconstruction': {
      const p = parse(rest, {
        original: { type: 'string' },
        compressed: { type: 'string' },
        recipe: { type: 'string' },
        snapshot: { type: 'string' },
        path: { type: 'string' },
        'password-file': { type: 'string' },
        'key-file': { type: 'string' },
        json: { type: 'boolean' },
      });
      const kind = typeof p.values.original === 'string' && typeof p.values.compressed === 'string' ? await (await pipeline()).compressedKind(p.values.compressed) : 'container';
      for (const f of ['snapshot', 'path', 'password-file', 'key-file']) if (kind !== 'repository' && p.values[f] !== undefined) throw new PaniniError('OPTION', `--${f} applies to a repository given as --compressed`, { option: f });
      if (kind === 'repository') {
        if (p.values.recipe !== undefined) throw new PaniniError('OPTION', '--recipe applies to a pipeline store given as --compressed (a repository takes --snapshot)', { option: 'recipe' });
        return (await repo()).runRepoValidate(p.values);
      }
      if (kind === 'pipeline') return (await pipeline()).runPipelineValidate(p);
      if (p.values.recipe !== undefined) throw new PaniniError('OPTION', '--recipe applies to a pipeline store given as --compressed', { option: 'recipe' });
      return (await container()).runValidate(p);
    }
    case 'models': {
      const [sub, ...more] = rest;
      return (await import('./models.js')).runModels(
        sub,
        parse(more, {
          json: { type: 'boolean' },
          corpus: { type: 'string' },
          device: { type: 'string' },
          tier: { type: 'string' },
          name: { type: 'string' },
          version: { type: 'string' },
          parent: { type: 'string' },
          out: { type: 'string' },
          check: { type: 'boolean' },
        }),
      );
    }
    case 'repo':
      return (await repo()).runRepo(rest);
    case 'serve':
      return (await import('./serve.js')).runServe(rest);
    default:
      throw new PaniniError('OPTION', `unknown command "${command}" (see panini-fs --help)`, { option: 'command' });
  }
}

type Spec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** The command being parsed, for messages. */
let current = '';

/** The usage lines of one command (its blocks of USAGE, or its own usage text), or undefined for an unknown one. */
export function commandHelp(command: string): string | undefined {
  if (command === 'repo') return `usage: panini-fs repo <subcommand> …\n\n${REPO_USAGE}`;
  if (command === 'serve') return `usage:\n${SERVE_USAGE}`;
  const lines = USAGE.split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`  ${command} `) && lines[i] !== `  ${command}`) continue;
    const block = [lines[i]!];
    // continuation lines are indented deeper than a command line
    while (i + 1 < lines.length && /^ {4,}\S/.test(lines[i + 1]!)) block.push(lines[++i]!);
    blocks.push(block.join('\n'));
  }
  return blocks.length ? `usage:\n${blocks.join('\n')}\n\n${USAGE.slice(USAGE.indexOf('options:'))}` : undefined;
}

/** Node's parser messages, said our way: which option, what is wrong, where to look. */
function parse(args: string[], options: Spec): Parsed {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    throw argError(e as Error, current);
  }
}

// a closed stdout (`… | head`) ends the process quietly, with the status a shell gives a program killed by SIGPIPE
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(141);
  throw e;
});

declare const __PANINI_VERSION__: string;
const VERSION = typeof __PANINI_VERSION__ === 'string' ? __PANINI_VERSION__ : 'dev';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof PaniniError) {
      process.stderr.write(`panini-fs: ${e.message}\n`);
      process.exitCode = EXIT_STATUS[e.code];
    } else {
      process.stderr.write(`panini-fs: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    }
  },
);
