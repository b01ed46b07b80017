/**
 * The README's "## Layout" section: a code block with one folder per line (`src/feed  what it
 * holds`), descriptions running on over indented lines.
 */

/** The folders the section names, without a trailing slash, in README order. */
export function layoutFolders(readme: string): string[] {
  const section = /^## Layout\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Layout" section');
  const block = /^```\n([\s\S]*?)^```/m.exec(section)?.[1];
  if (block === undefined) throw new Error('the README "## Layout" section has no code block');
  return block
    .split('\n')
    .filter((line) => /^\S/.test(line))
    .map((line) => line.split(/\s/, 1)[0]!.replace(/\/$/, ''));
}

export interface LayoutInput {
  /** What the section names ({@link layoutFolders}). */
  named: readonly string[];
  /** The top-level folders under src/, as `src/feed`. */
  srcFolders: readonly string[];
  /** Whether a folder exists in the repository. */
  isFolder: (path: string) => boolean;
}

/**
 * What the section gets wrong: a top-level folder of src/ it does not name (naming one of its
 * subfolders, `src/web/client`, names it too), or a folder it names that does not exist.
 */
export function layoutProblems({ named, srcFolders, isFolder }: LayoutInput): string[] {
  const problems: string[] = [];
  for (const folder of srcFolders) {
    if (!named.some((n) => n === folder || n.startsWith(`${folder}/`))) {
      problems.push(`${folder}/ is not in the README "## Layout" section`);
    }
  }
  for (const n of named) if (!isFolder(n)) problems.push(`the README "## Layout" section names ${n}/, which does not exist`);
  return problems;
}
