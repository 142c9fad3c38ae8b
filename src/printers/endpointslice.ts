// printEndpointSlice (pkg/printers/internalversion/printers.go, v1.32): NAME, ADDRESSTYPE, PORTS (each port's
// number, else its name, else `*`), ENDPOINTS (every address, ready or not); three items, then ` + N more...`;
// `<unset>` for none.

import type { Endpoint, EndpointSlice, EndpointSlicePort, KubeObject } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, NAME_COLUMN } from './meta.js';
import type { PrintedTable, TableCell, TableColumnDefinition } from './types.js';

// The descriptions are discoveryv1beta1.EndpointSlice{}.SwaggerDoc(), as upstream's column definitions use.
export const endpointSliceColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'AddressType',
    'string',
    'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
  ),
  column(
    'Ports',
    'string',
    'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
  ),
  column(
    'Endpoints',
    'string',
    'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.',
  ),
  AGE_COLUMN,
];

const MAX_ITEMS = 3;

/** listWithMoreString over every item: the first three, comma-joined, then ` + N more...`. */
function listWithMore(items: string[]): string {
  const shown = items.slice(0, MAX_ITEMS).join(',');
  if (items.length > MAX_ITEMS) return `${shown} + ${items.length - MAX_ITEMS} more...`;
  return shown === '' ? '<unset>' : shown;
}

/** formatDiscoveryPorts. */
export function formatDiscoveryPorts(ports: EndpointSlicePort[] | undefined): string {
  return listWithMore((ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : (p.name ?? '*'))));
}

/** formatDiscoveryEndpoints. */
export function formatDiscoveryEndpoints(endpoints: Endpoint[] | undefined): string {
  return listWithMore((endpoints ?? []).flatMap((e) => e.addresses ?? []));
}

export function printEndpointSliceRow(slice: EndpointSlice, now: number): TableCell[] {
  return [
    slice.metadata?.name ?? '',
    slice.addressType ?? '',
    formatDiscoveryPorts(slice.ports),
    formatDiscoveryEndpoints(slice.endpoints),
    translateTimestampSince(slice.metadata?.creationTimestamp, now),
  ];
}

export function printEndpointSlices(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: endpointSliceColumnDefinitions,
    rows: objects.map((object) => ({
      cells: printEndpointSliceRow(object as unknown as EndpointSlice, now),
      object,
    })),
  };
}
