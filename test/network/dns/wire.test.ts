import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket, { type Answer } from 'dns-packet';
import { answerQuery } from '../../../src/network/dns/answer.js';
import { udpLimit } from '../../../src/network/dns/records.js';
import { encodeResponse, MAX_TCP_MESSAGE } from '../../../src/network/dns/wire.js';
import { config, headlessService, query, sampleCluster, slice } from './fixtures.js';

const NAME = 'many.default.svc.cluster.local';

function bigCluster(n: number) {
  const index = sampleCluster();
  index.apply('ADDED', headlessService('default', 'many', [['http', 80]]));
  const eps = Array.from({ length: n }, (_, i) => ({ ip: `10.244.1.${i + 1}` }));
  index.apply('ADDED', slice('default', 'many-1', 'many', eps, [['http', 80]]));
  return index;
}

function opt(size: number): Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: size,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}

function respond(n: number, q = query(NAME)) {
  const decoded = dnsPacket.decode(dnsPacket.encode(q));
  const result = answerQuery(decoded, bigCluster(n), config());
  assert.equal(result.kind, 'answer');
  return { decoded, response: result.kind === 'answer' ? result.response : {} };
}

describe('cluster DNS on the wire: size limits', () => {
  it('takes 512 without EDNS0, the advertised size with it, capped at 1232 and floored at 512', () => {
    assert.equal(udpLimit(query(NAME)), 512);
    assert.equal(udpLimit(query(NAME, 'A', { additionals: [opt(4096)] })), 1232);
    assert.equal(udpLimit(query(NAME, 'A', { additionals: [opt(800)] })), 800);
    assert.equal(udpLimit(query(NAME, 'A', { additionals: [opt(100)] })), 512);
  });

  it('keeps whole records within 512 bytes and sets TC when answers were left out', () => {
    const { decoded, response } = respond(40);
    const wire = encodeResponse(response, udpLimit(decoded));
    assert.ok(wire.length <= 512, `${wire.length} bytes`);
    const back = dnsPacket.decode(wire);
    assert.ok(back.flag_tc);
    assert.ok((back.answers ?? []).length > 0 && (back.answers ?? []).length < 40);
    for (const a of back.answers ?? []) assert.equal(a.type, 'A');
  });

  it('keeps the OPT record in a truncated EDNS0 answer', () => {
    const { decoded, response } = respond(80, query(NAME, 'A', { additionals: [opt(4096)] }));
    const wire = encodeResponse(response, udpLimit(decoded));
    assert.ok(wire.length <= 1232 && wire.length > 512, `${wire.length} bytes`);
    const back = dnsPacket.decode(wire);
    assert.ok(back.flag_tc);
    assert.equal(back.additionals?.filter((a) => a.type === 'OPT').length, 1);
  });

  it('sends everything over TCP without TC', () => {
    const { response } = respond(40);
    const back = dnsPacket.decode(encodeResponse(response, MAX_TCP_MESSAGE));
    assert.ok(!back.flag_tc);
    assert.equal(back.answers?.length, 40);
  });

  it('drops additional records before answers, without TC', () => {
    const q = query('_http._tcp.many.default.svc.cluster.local', 'SRV');
    const { decoded, response } = respond(3, q);
    const full = dnsPacket.encode(response).length;
    assert.ok(full > 512, `the full SRV answer is ${full} bytes`);
    const back = dnsPacket.decode(encodeResponse(response, udpLimit(decoded)));
    assert.equal(back.answers?.length, 3);
    assert.equal(back.additionals?.length, 0);
    assert.ok(!back.flag_tc);
  });

  it('fits an answer that is small enough untouched', () => {
    const { decoded, response } = respond(3);
    const back = dnsPacket.decode(encodeResponse(response, udpLimit(decoded)));
    assert.ok(!back.flag_tc);
    assert.equal(back.answers?.length, 3);
  });
});
