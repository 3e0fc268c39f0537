// What the CLI's commands receive from the argument parser (src/cli/main.ts parses; commands.ts and container.ts read).
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}
