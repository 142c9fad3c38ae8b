// EndpointSlice validation (pkg/apis/discovery/validation/validation.go, v1.30): address type, up to 1000
// endpoints of 1-100 addresses each in the slice's address family, node names, hostnames, zone hints, and ports
// with unique names and a supported protocol. The address type cannot change after creation.

import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { jsonEqual } from '../json-equal.js';
import { duplicate, type FieldError, invalid, notSupported, required, tooMany } from './field-error.js';
import { validateIPv4Address, validateIPv6Address, validateNonSpecialIP } from './ip.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';
import { child, index, type Path } from './path.js';

export const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ADDRESSES = 100;
// The API documentation still says 100; the validation has allowed 20000 since discovery.k8s.io/v1.
const MAX_PORTS = 20000;
const MAX_ENDPOINTS = 1000;
const MAX_ZONE_HINTS = 8;

/** validation.IsFullyQualifiedDomainName. */
function validateFQDN(path: Path, value: string): FieldError[] {
  if (value === '') return [required(path)];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const subdomain = isDNS1123Subdomain(name);
  if (subdomain.length > 0) return [invalid(path, name, subdomain.join(','))];
  const labels = name.split('.');
  if (labels.length < 2) {
    return [invalid(path, name, 'should be a domain with at least two segments separated by dots')];
  }
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length > 0) return [invalid(path, label, errs.join(','))];
  }
  return [];
}

function validateAddress(addressType: string, address: string, path: Path): FieldError[] {
  switch (addressType) {
    case 'IPv4':
      return [...validateIPv4Address(path, address), ...validateNonSpecialIP(address, path)];
    case 'IPv6':
      return [...validateIPv6Address(path, address), ...validateNonSpecialIP(address, path)];
    case 'FQDN':
      return validateFQDN(path, address);
    default:
      // An unsupported address type is reported once, on addressType.
      return [];
  }
}

function validateEndpoint(ep: Endpoint, addressType: string, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const addressPath = child(path, 'addresses');
  const addresses = ep.addresses ?? [];
  if (addresses.length === 0) errs.push(required(addressPath, 'must contain at least 1 address'));
  else if (addresses.length > MAX_ADDRESSES) errs.push(tooMany(addressPath, addresses.length, MAX_ADDRESSES));
  addresses.forEach((a, i) => {
    errs.push(...validateAddress(addressType, a, index(addressPath, i)));
  });
  if (ep.nodeName !== undefined) {
    for (const m of isDNS1123Subdomain(ep.nodeName))
      errs.push(invalid(child(path, 'nodeName'), ep.nodeName, m));
  }
  if (ep.hostname !== undefined) {
    for (const m of isDNS1123Label(ep.hostname)) errs.push(invalid(child(path, 'hostname'), ep.hostname, m));
  }
  const zones = ep.hints?.forZones;
  if (zones) {
    const zonesPath = child(path, 'hints', 'forZones');
    if (zones.length > MAX_ZONE_HINTS) {
      errs.push(tooMany(zonesPath, zones.length, MAX_ZONE_HINTS));
    } else {
      const seen = new Set<string>();
      zones.forEach((z, i) => {
        const p = child(index(zonesPath, i), 'name');
        const name = z.name ?? '';
        if (seen.has(name)) errs.push(duplicate(p, name));
        else seen.add(name);
        for (const m of isValidLabelValue(name)) errs.push(invalid(p, name, m));
      });
    }
  }
  return errs;
}

function validatePorts(slice: EndpointSlice): FieldError[] {
  const ports = slice.ports ?? [];
  if (ports.length > MAX_PORTS) return [tooMany('ports', ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = index('ports', i);
    // Defaulting makes the name "" and the protocol TCP when they are absent.
    const name = port.name ?? '';
    if (name !== '') for (const m of isDNS1123Label(name)) errs.push(invalid(child(p, 'name'), name, m));
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else names.add(name);
    if (port.protocol === undefined) errs.push(required(child(p, 'protocol')));
    else if (!PROTOCOLS.includes(port.protocol))
      errs.push(notSupported(child(p, 'protocol'), port.protocol, PROTOCOLS));
    if (port.appProtocol !== undefined) {
      for (const m of isQualifiedName(port.appProtocol))
        errs.push(invalid(child(p, 'appProtocol'), port.appProtocol, m));
    }
  });
  return errs;
}

/** Everything but the metadata (validateObjectMeta covers that): ValidateEndpointSlice. */
export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = slice.addressType ?? '';
  if (addressType === '') errs.push(required('addressType'));
  else if (!(ADDRESS_TYPES as readonly string[]).includes(addressType))
    errs.push(notSupported('addressType', addressType, ADDRESS_TYPES));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) {
    errs.push(tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  } else {
    endpoints.forEach((ep, i) => {
      errs.push(...validateEndpoint(ep, addressType, index('endpoints', i)));
    });
  }
  errs.push(...validatePorts(slice));
  return errs;
}

/** ValidateEndpointSliceUpdate's addition to the create rules: addressType is immutable. */
export function validateEndpointSliceUpdate(slice: EndpointSlice, old: EndpointSlice): FieldError[] {
  const n = slice.addressType ?? '';
  return jsonEqual(n, old.addressType ?? '') ? [] : [invalid('addressType', n, 'field is immutable')];
}
