// printStatefulSet and printControllerRevision (pkg/printers/internalversion/printers.go, v1.30).
import type { ControllerRevision, StatefulSet } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  column,
  IMAGES_COLUMN,
  layoutContainerCells,
  NAME_COLUMN,
} from './meta.js';
import { printer } from './row-printer.js';
import type { TableCell, TableColumnDefinition } from './types.js';

export const statefulSetColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Ready', 'string', 'Number of the pod with ready state'),
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
];

export function printStatefulSetRow(sts: StatefulSet, now: number): TableCell[] {
  const [names, images] = layoutContainerCells(sts.spec?.template?.spec?.containers);
  return [
    sts.metadata?.name ?? '',
    `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 1}`,
    translateTimestampSince(sts.metadata?.creationTimestamp, now),
    names,
    images,
  ];
}

export const controllerRevisionColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Controller', 'string', 'Controller of the object'),
  column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
  AGE_COLUMN,
];

export function printControllerRevisionRow(cr: ControllerRevision, now: number): TableCell[] {
  const owner = (cr.metadata?.ownerReferences ?? []).find((r) => r.controller);
  let controller = '<none>';
  if (owner) {
    const slash = owner.apiVersion.indexOf('/');
    const group = slash < 0 ? '' : owner.apiVersion.slice(0, slash);
    controller = `${owner.kind.toLowerCase()}${group ? `.${group}` : ''}/${owner.name}`;
  }
  return [
    cr.metadata?.name ?? '',
    controller,
    cr.revision,
    translateTimestampSince(cr.metadata?.creationTimestamp, now),
  ];
}

export const printStatefulSets = printer<StatefulSet>(statefulSetColumnDefinitions, printStatefulSetRow);
export const printControllerRevisions = printer<ControllerRevision>(
  controllerRevisionColumnDefinitions,
  printControllerRevisionRow,
);
