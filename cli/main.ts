/**
 * The CLI entry (owned by the "CLI" work item).
 */
export async function main(argv: string[]): Promise<number> {
  void argv;
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
