// Server-side printing: objects to a metav1.Table with the upstream printer columns, each row carrying the
// object as `includeObject` asks (PartialObjectMetadata by default: kubectl reads names, namespaces and
// labels from it for `-A`, `--show-labels` and `-L`).
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { tablePrinterFor } from '../../printers/index.js';
import { badRequest } from '../errors.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(v: string | null): IncludeObject {
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(
    `includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`,
  );
}

export function partialObjectMetadata(
  o: KubeObject,
  version: 'v1' | 'v1beta1' = 'v1',
): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
}

export interface TableOptions {
  version: 'v1' | 'v1beta1';
  include: IncludeObject;
  /** Leave the column definitions out (watch events after the first). */
  noHeaders?: boolean;
  resourceVersion?: string;
  now: number;
}

export function toTable(
  r: ResourceInfo,
  objects: KubeObject[],
  options: TableOptions,
): Record<string, unknown> {
  const printed = tablePrinterFor(r.kind)(objects, options.now);
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata: options.resourceVersion !== undefined ? { resourceVersion: options.resourceVersion } : {},
    columnDefinitions: options.noHeaders ? [] : printed.columnDefinitions,
    rows: printed.rows.map((row) => ({
      cells: row.cells,
      ...(options.include === 'None'
        ? {}
        : {
            object:
              options.include === 'Object' ? row.object : partialObjectMetadata(row.object, options.version),
          }),
    })),
  };
}
