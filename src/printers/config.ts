// printNamespace, printConfigMap, printSecret and printServiceAccount (pkg/printers/internalversion/printers.go, v1.32).
import type { ConfigMap, KubeObject, Namespace, Secret, ServiceAccount } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, NAME_COLUMN } from './meta.js';
import type { PrintedTable, TableColumnDefinition } from './types.js';

export const namespaceColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Status', 'string', 'The status of the namespace'),
  AGE_COLUMN,
];

export const configMapColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Data',
    'string',
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
  ),
  AGE_COLUMN,
];

export const secretColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Type',
    'string',
    'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
  ),
  column(
    'Data',
    'string',
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
  ),
  AGE_COLUMN,
];

export function printNamespaces(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: namespaceColumnDefinitions,
    rows: objects.map((object) => {
      const ns = object as unknown as Namespace;
      return {
        cells: [
          ns.metadata?.name ?? '',
          ns.status?.phase ?? '',
          translateTimestampSince(ns.metadata?.creationTimestamp, now),
        ],
        object,
      };
    }),
  };
}

export function printConfigMaps(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: configMapColumnDefinitions,
    rows: objects.map((object) => {
      const cm = object as unknown as ConfigMap;
      const data = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
      return {
        cells: [cm.metadata?.name ?? '', data, translateTimestampSince(cm.metadata?.creationTimestamp, now)],
        object,
      };
    }),
  };
}

/** The number of keys a Secret holds. Upstream counts `data` after stringData has been merged into it. */
function secretDataCount(secret: Secret): number {
  return new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]).size;
}

export function printSecrets(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: secretColumnDefinitions,
    rows: objects.map((object) => {
      const secret = object as unknown as Secret;
      return {
        cells: [
          secret.metadata?.name ?? '',
          // The API server defaults an empty type to Opaque.
          secret.type || 'Opaque',
          secretDataCount(secret),
          translateTimestampSince(secret.metadata?.creationTimestamp, now),
        ],
        object,
      };
    }),
  };
}

export const serviceAccountColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Secrets',
    'string',
    'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret',
  ),
  AGE_COLUMN,
];

/** Upstream counts `secrets` only; imagePullSecrets are not shown. */
export function printServiceAccounts(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: serviceAccountColumnDefinitions,
    rows: objects.map((object) => {
      const sa = object as unknown as ServiceAccount;
      return {
        cells: [
          sa.metadata?.name ?? '',
          (sa.secrets ?? []).length,
          translateTimestampSince(sa.metadata?.creationTimestamp, now),
        ],
        object,
      };
    }),
  };
}
