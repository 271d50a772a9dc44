/** A real Project over in-memory files, for unit tests of the source layers (no stand-in services). */
import { Project } from '../../engine/project';

export function memoryProject(files: Record<string, string>): Project {
  const p = new Project();
  for (const [path, text] of Object.entries(files)) p.setFile(path, text);
  return p;
}
