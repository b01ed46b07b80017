/** `--name N` from the command line, or `fallback`; exits 2 with a message on a value that is not a number. */
export function numberArg(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} takes a positive number, got ${JSON.stringify(argv[i + 1] ?? '')}\n`);
    process.exit(2);
  }
  return value;
}

/** `--name value` from the command line, or undefined when absent. */
export function stringArg(name: string, argv: readonly string[] = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
}
