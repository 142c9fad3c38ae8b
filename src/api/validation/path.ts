// Field paths as strings in field.Path.String() form: `spec.containers[0].image`, `data[my-key]`.
// Validators extend a path as they descend; locating a path in YAML parses it back (parsePath).

export type Path = string;

export function child(path: Path, ...names: string[]): Path {
  let p = path;
  for (const n of names) p = p === '' ? n : `${p}.${n}`;
  return p;
}

export function index(path: Path, i: number): Path {
  return `${path}[${i}]`;
}

export function key(path: Path, k: string): Path {
  return `${path}[${k}]`;
}

export type PathSegment = { field: string } | { index: number } | { key: string };

/**
 * Splits a rendered path back into segments. `[3]` is an index and `[x]` a map key; a map key that looks like a
 * number is given as an index, and the YAML locator treats it as a key when the node is a mapping.
 */
export function parsePath(path: Path): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '.') {
      i++;
      continue;
    }
    if (path[i] === '[') {
      // A key may itself contain `]` (annotation keys rarely do); it ends at `]` followed by `.`, `[` or the end.
      let j = i + 1;
      while (j < path.length && !(path[j] === ']' && (j + 1 === path.length || '.['.includes(path[j + 1]!))))
        j++;
      const inner = path.slice(i + 1, j);
      out.push(/^\d+$/.test(inner) ? { index: Number(inner) } : { key: inner });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
    out.push({ field: path.slice(i, j) });
    i = j;
  }
  return out;
}
