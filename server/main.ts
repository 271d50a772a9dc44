/**
 * The language server entry (owned by the "language server" work item).
 */
export function startServer(): void {
  throw new Error('language server not built yet');
}

if (require.main === module) startServer();
