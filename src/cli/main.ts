// The panini-fs command line. User errors print one line (no stack trace) and exit with the code's status
// (README "CLI exit codes").
import { parseArgs } from 'node:util';
import { EXIT_STATUS, PaniniError } from '../errors.js';
import { init } from '../wasm/core.js';
import { setupNode } from '../node/setup.js';
import { runHash, runChunk } from './commands.js';
import { runModels } from './models.js';
import { runCompress, runDecompress, runExtract, runInspect, runValidate, runVerify } from './container.js';
import type { Parsed } from './args.js';
import { REPO_USAGE, runRepo } from './repo.js';
import { SERVE_USAGE, runServe, runWorker } from './serve.js';

const USAGE = `usage: panini-fs <command> [options]

commands:
  compress IN [-o OUT] [--level 0-9] [--codec deflate|plz|pfz|dhatu] [--strategy fixed|cdc|semantic|adaptive] [--workers N]
           [--force] [--json]
                                            IN a file, a directory or - (stdin, needs -o); default OUT is IN.pnz
  decompress IN [-o OUT] [--workers N] [--force] [--json]
                                            restores a file, or a tree whose contents land inside OUT
                                            (default OUT is IN without .pnz; - writes a file's bytes to stdout)
  extract IN PATH [-o OUT] [--force] [--json]
                                            one file of a tree by its path, decoding only the records it needs
                                            (default OUT is the file's name; - writes to stdout)
  verify IN [--json]                        checks every checksum and decodes every chunk; exit 0 when intact
  inspect IN [--json]                       chunks, codecs, dhātu distribution, files, dedup, ratio
  validate-reconstruction --original PATH --compressed PNZ [--json]
                                            the full proof: sizes, whole SHA-256, every chunk, first difference;
                                            exit 0 when bit-perfect, 1 when not
  hash FILE|-                               SHA-256 and CRC32 of a file (or stdin)
  chunk FILE|- [--strategy cdc|fixed]       chunk boundaries with each chunk's SHA-256
        [--min-size N] [--avg-size N] [--max-size N] [--size N] [--json]
${REPO_USAGE}
${SERVE_USAGE}

  models list|show NAME|compare NAME@A NAME@B --corpus DIR|use NAME@V|rollback NAME|train [--check]
         |add FILE --tier personal --name NAME --version X.Y.Z   [--json] [--device auto|cpu|cuda|webgpu]
                                            the encode-side ONNX models (models/README.md)

options:
  --workers N     compress / decompress: worker threads (default: the CPUs, at most 4; the bytes never depend on it)
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
  setupNode();
  await init();
  switch (command) {
    case 'hash':
      return runHash(parse(rest, {}));
    case 'chunk':
      return runChunk(
        parse(rest, {
          strategy: { type: 'string' },
          'min-size': { type: 'string' },
          'avg-size': { type: 'string' },
          'max-size': { type: 'string' },
          size: { type: 'string' },
          json: { type: 'boolean' },
        }),
      );
    case 'compress':
      return runCompress(
        parse(rest, {
          output: { type: 'string', short: 'o' },
          level: { type: 'string' },
          codec: { type: 'string' },
          strategy: { type: 'string' },
          workers: { type: 'string' },
          force: { type: 'boolean', short: 'f' },
          json: { type: 'boolean' },
        }),
      );
    case 'decompress':
      return runDecompress(parse(rest, { output: { type: 'string', short: 'o' }, workers: { type: 'string' }, force: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } }));
    case 'extract':
      return runExtract(parse(rest, { output: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } }));
    case 'verify':
      return runVerify(parse(rest, { json: { type: 'boolean' } }));
    case 'inspect':
      return runInspect(parse(rest, { json: { type: 'boolean' } }));
    case 'validate-reconstruction':
      return runValidate(parse(rest, { original: { type: 'string' }, compressed: { type: 'string' }, json: { type: 'boolean' } }));
    case 'models': {
      const [sub, ...more] = rest;
      return runModels(
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
      return runRepo(rest);
    case 'serve':
      return runServe(rest);
    case 'worker':
      return runWorker(rest);
    default:
      throw new PaniniError('OPTION', `unknown command "${command}" (see panini-fs --help)`, { option: 'command' });
  }
}

type Spec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse(args: string[], options: Spec): Parsed {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    throw new PaniniError('OPTION', (e as Error).message.split('\n')[0]!, { option: 'argv' });
  }
}

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
