// The panini-fs command line. User errors print one line (no stack trace) and exit with the code's status
// (README "CLI exit codes").
import { parseArgs } from 'node:util';
import { EXIT_STATUS, PaniniError } from '../errors.js';
import { init } from '../wasm/core.js';
import { runHash, runChunk } from './commands.js';

const USAGE = `usage: panini-fs <command> [options]

commands:
  hash FILE|-                               SHA-256 and CRC32 of a file (or stdin)
  chunk FILE|- [--strategy cdc|fixed]       chunk boundaries with each chunk's SHA-256
        [--min-size N] [--avg-size N] [--max-size N] [--size N] [--json]

options:
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
    default:
      throw new PaniniError('OPTION', `unknown command "${command}" (see panini-fs --help)`, { option: 'command' });
  }
}

type Spec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

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
