// DeleteOptions from hostile clients: bodies decoded with upstream's Go types (a string dryRun never deletes for
// real), query parameters parsed as strconv.ParseInt parses them, values validated as ValidateDeleteOptions
// does; and grace periods too large for a JS Date, which upstream accepts and which must delete as any other.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, pod, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const NS = '/api/v1/namespaces/default';
/** The last second an RFC3339 timestamp can hold: where a grace period past it ends. */
const END_OF_TIME = '9999-12-31T23:59:59Z';

/** A pod bound to a node, so that its delete is graceful (an unbound one goes at once). */
function boundPod(name: string, grace?: number): Record<string, unknown> {
  const p = pod(name) as { spec: Record<string, unknown> };
  p.spec.nodeName = 'local';
  if (grace !== undefined) p.spec.terminationGracePeriodSeconds = grace;
  return p;
}

async function create(path: string, body: unknown): Promise<void> {
  const res = await call(t, 'POST', path, { body });
  assert.equal(res.status, 201, res.text);
}

/** The pod exists and no delete has touched it. */
async function untouched(name: string): Promise<void> {
  const res = await call(t, 'GET', `${NS}/pods/${name}`);
  assert.equal(res.status, 200, `${name} is gone`);
  assert.equal(res.json.metadata.deletionTimestamp, undefined, `${name} is being deleted`);
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('DELETE bodies are decoded with the Go types of metav1.DeleteOptions', () => {
  const cases: Array<[string, string]> = [
    ['{"dryRun":"All"}', 'string into Go struct field DeleteOptions.dryRun of type []string'],
    ['{"dryRun":{"All":true}}', 'object into Go struct field DeleteOptions.dryRun of type []string'],
    ['{"dryRun":[1]}', 'number into Go struct field DeleteOptions.dryRun of type string'],
    [
      '{"gracePeriodSeconds":[]}',
      'array into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    ],
    [
      '{"gracePeriodSeconds":true}',
      'bool into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    ],
    [
      '{"gracePeriodSeconds":"5"}',
      'string into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    ],
    [
      '{"gracePeriodSeconds":1.5}',
      'number 1.5 into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    ],
    [
      '{"gracePeriodSeconds":1e308}',
      'number 1e+308 into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    ],
    [
      '{"gracePeriodSeconds":9223372036854775808}',
      'number 9223372036854776000 into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    ],
    [
      '{"propagationPolicy":1}',
      'number into Go struct field DeleteOptions.propagationPolicy of type v1.DeletionPropagation',
    ],
    [
      '{"orphanDependents":"true"}',
      'string into Go struct field DeleteOptions.orphanDependents of type bool',
    ],
    [
      '{"preconditions":"x"}',
      'string into Go struct field DeleteOptions.preconditions of type v1.Preconditions',
    ],
    [
      '{"preconditions":{"uid":5}}',
      'number into Go struct field Preconditions.preconditions.uid of type types.UID',
    ],
    [
      '{"preconditions":{"resourceVersion":false}}',
      'bool into Go struct field Preconditions.preconditions.resourceVersion of type string',
    ],
  ];

  test('a value of the wrong type is a 400 in encoding/json words, and nothing is deleted', async () => {
    await create(`${NS}/pods`, pod('typed'));
    await create(`${NS}/pods`, boundPod('typed-bound'));
    for (const name of ['typed', 'typed-bound']) {
      for (const [raw, why] of cases) {
        const res = await call(t, 'DELETE', `${NS}/pods/${name}`, { raw });
        assert.equal(res.status, 400, `${raw}: ${res.text}`);
        assert.equal(res.json.reason, 'BadRequest', raw);
        assert.equal(res.json.message, `json: cannot unmarshal ${why}`, raw);
        await untouched(name);
      }
    }
  });

  test('the first wrong value is the one named, as encoding/json reports it', async () => {
    const res = await call(t, 'DELETE', `${NS}/pods/typed`, {
      raw: '{"gracePeriodSeconds":"1","dryRun":"All"}',
    });
    assert.equal(
      res.json.message,
      'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    );
  });

  test('null leaves a field unset and unknown fields are ignored, as encoding/json does', async () => {
    await create(`${NS}/configmaps`, { metadata: { name: 'nulls' } });
    const res = await call(t, 'DELETE', `${NS}/configmaps/nulls`, {
      raw: '{"kind":"DeleteOptions","apiVersion":"v1","dryRun":null,"gracePeriodSeconds":null,"bogus":[1]}',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((await call(t, 'GET', `${NS}/configmaps/nulls`)).status, 404);
  });

  test('a dryRun list with a value other than All is a 422 Invalid, and nothing is deleted', async () => {
    const res = await call(t, 'DELETE', `${NS}/pods/typed`, { body: { dryRun: ['Foo'] } });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.reason, 'Invalid');
    assert.equal(
      res.json.message,
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Foo"}: supported values: "All"',
    );
    assert.deepEqual(res.json.details, {
      name: '',
      group: 'meta.k8s.io',
      kind: 'DeleteOptions',
      causes: [
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: []string{"Foo"}: supported values: "All"',
          field: 'dryRun',
        },
      ],
    });
    const mixed = await call(t, 'DELETE', `${NS}/pods/typed`, { body: { dryRun: ['All', ''] } });
    assert.equal(mixed.status, 422, mixed.text);
    await untouched('typed');
  });

  test('propagationPolicy must be one upstream knows, and not given with orphanDependents', async () => {
    const bogus = await call(t, 'DELETE', `${NS}/pods/typed`, { body: { propagationPolicy: 'Foo' } });
    assert.equal(bogus.status, 422, bogus.text);
    assert.equal(
      bogus.json.message,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Foo": supported values: "Foreground", "Background", "Orphan", "nil"',
    );
    const both = await call(t, 'DELETE', `${NS}/pods/typed`, {
      body: { propagationPolicy: 'Orphan', orphanDependents: true },
    });
    assert.equal(both.status, 422, both.text);
    assert.equal(
      both.json.message,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set',
    );
    await untouched('typed');
  });

  test('an empty precondition is compared, as upstream compares it (Preconditions.Check)', async () => {
    const res = await call(t, 'DELETE', `${NS}/pods/typed`, { body: { preconditions: { uid: '' } } });
    assert.equal(res.status, 409, res.text);
    assert.match(res.json.message, /Precondition failed: UID in precondition: , UID in object meta: /);
    await untouched('typed');
  });

  test('dryRun ["All"] deletes nothing; the body, or the query next to a body', async () => {
    const body = await call(t, 'DELETE', `${NS}/pods/typed`, { body: { dryRun: ['All'] } });
    assert.equal(body.status, 200, body.text);
    const query = await call(t, 'DELETE', `${NS}/pods/typed?dryRun=All`, { body: {} });
    assert.equal(query.status, 200, query.text);
    await untouched('typed');
  });
});

describe('DELETE query parameters are converted as the parameter codec converts them', () => {
  test('gracePeriodSeconds is what strconv.ParseInt accepts, and anything else is a 400', async () => {
    await create(`${NS}/pods`, boundPod('queried'));
    const cases: Array<[string, string]> = [
      ['1e3', 'strconv.ParseInt: parsing "1e3": invalid syntax'],
      ['0x10', 'strconv.ParseInt: parsing "0x10": invalid syntax'],
      ['%205', 'strconv.ParseInt: parsing " 5": invalid syntax'],
      ['5%20', 'strconv.ParseInt: parsing "5 ": invalid syntax'],
      ['1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['', 'strconv.ParseInt: parsing "": invalid syntax'],
      ['9223372036854775808', 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
      ['-9223372036854775809', 'strconv.ParseInt: parsing "-9223372036854775809": value out of range'],
    ];
    for (const [value, message] of cases) {
      const res = await call(t, 'DELETE', `${NS}/pods/queried?gracePeriodSeconds=${value}`);
      assert.equal(res.status, 400, `${value}: ${res.text}`);
      assert.equal(res.json.message, message);
      await untouched('queried');
    }
  });

  test('propagationPolicy and dryRun are validated, empty ones too', async () => {
    for (const q of [
      'propagationPolicy=Foo',
      'propagationPolicy=',
      'dryRun=Foo',
      'dryRun=',
      'dryRun=All&dryRun=x',
    ]) {
      const res = await call(t, 'DELETE', `${NS}/pods/queried?${q}`);
      assert.equal(res.status, 422, `${q}: ${res.text}`);
      assert.equal(res.json.reason, 'Invalid', q);
    }
    const both = await call(
      t,
      'DELETE',
      `${NS}/pods/queried?orphanDependents=false&propagationPolicy=Background`,
    );
    assert.equal(both.status, 422, both.text);
    await untouched('queried');
  });

  test('the body wins over the query where both set a field', async () => {
    const res = await call(t, 'DELETE', `${NS}/pods/queried?gracePeriodSeconds=0&dryRun=All`, {
      body: { gracePeriodSeconds: 30 },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.metadata.deletionGracePeriodSeconds, 30);
    await untouched('queried');
  });
});

describe('deletecollection and eviction decode their DeleteOptions the same way', () => {
  test('a deletecollection with a string dryRun is a 400 and deletes nothing', async () => {
    for (const name of ['coll-a', 'coll-b']) {
      await create(`${NS}/configmaps`, { metadata: { name, labels: { coll: 'yes' } } });
    }
    const path = `${NS}/configmaps?labelSelector=coll%3Dyes`;
    const bad = await call(t, 'DELETE', path, { raw: '{"dryRun":"All"}' });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(
      bad.json.message,
      'json: cannot unmarshal string into Go struct field DeleteOptions.dryRun of type []string',
    );
    const badQuery = await call(t, 'DELETE', `${path}&gracePeriodSeconds=0x0`);
    assert.equal(badQuery.status, 400, badQuery.text);
    const invalid = await call(t, 'DELETE', path, { body: { dryRun: ['Foo'] } });
    assert.equal(invalid.status, 422, invalid.text);
    const dry = await call(t, 'DELETE', path, { body: { dryRun: ['All'] } });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.json.items.length, 2);
    assert.equal((await call(t, 'GET', path)).json.items.length, 2);
  });

  test("an eviction's deleteOptions of the wrong type is the create handler's 400; the pod stays", async () => {
    await create(`${NS}/pods`, pod('evicted'));
    const eviction = (deleteOptions: unknown) => ({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'evicted' },
      deleteOptions,
    });
    const cases: Array<[unknown, string]> = [
      [{ dryRun: 'All' }, 'string into Go struct field DeleteOptions.deleteOptions.dryRun of type []string'],
      [
        { gracePeriodSeconds: '5' },
        'string into Go struct field DeleteOptions.deleteOptions.gracePeriodSeconds of type int64',
      ],
      [
        { gracePeriodSeconds: 1e308 },
        'number 1e+308 into Go struct field DeleteOptions.deleteOptions.gracePeriodSeconds of type int64',
      ],
      [
        { preconditions: [] },
        'array into Go struct field DeleteOptions.deleteOptions.preconditions of type v1.Preconditions',
      ],
      ['now', 'string into Go struct field Eviction.deleteOptions of type v1.DeleteOptions'],
    ];
    for (const [opts, why] of cases) {
      const res = await call(t, 'POST', `${NS}/pods/evicted/eviction`, { body: eviction(opts) });
      assert.equal(res.status, 400, `${JSON.stringify(opts)}: ${res.text}`);
      assert.equal(
        res.json.message,
        `Eviction in version "v1" cannot be handled as a Eviction: json: cannot unmarshal ${why}`,
      );
      await untouched('evicted');
    }
    // Upstream's eviction does not validate its options: any dryRun value makes a dry run (dryrun.IsDryRun).
    for (const dryRun of [['All'], ['Foo']]) {
      const res = await call(t, 'POST', `${NS}/pods/evicted/eviction`, { body: eviction({ dryRun }) });
      assert.equal(res.status, 201, res.text);
      await untouched('evicted');
    }
    const real = await call(t, 'POST', `${NS}/pods/evicted/eviction`, {
      body: eviction({ gracePeriodSeconds: 0 }),
    });
    assert.equal(real.status, 201, real.text);
    assert.equal((await call(t, 'GET', `${NS}/pods/evicted`)).status, 404);
  });
});

describe('grace periods too large for a JS Date delete as upstream deletes them', () => {
  test('a grace period past year 9999 ends at its last second, from the query or the body', async () => {
    const deletes: Array<[string, { raw?: string }, number]> = [
      ['?gracePeriodSeconds=99999999999999', {}, 99999999999999],
      // int64's maximum, which a double cannot hold: the largest one below it.
      ['?gracePeriodSeconds=9223372036854775807', {}, 2 ** 63 - 1024],
      ['', { raw: '{"gracePeriodSeconds":9007199254740993}' }, 2 ** 53],
      ['', { raw: '{"gracePeriodSeconds":9223372036854775000}' }, 2 ** 63 - 1024],
    ];
    for (const [i, [query, options, grace]] of deletes.entries()) {
      const name = `huge-${i}`;
      await create(`${NS}/pods`, boundPod(name));
      const res = await call(t, 'DELETE', `${NS}/pods/${name}${query}`, options);
      assert.equal(res.status, 200, `${name}: ${res.text}`);
      assert.equal(res.json.metadata.deletionTimestamp, END_OF_TIME);
      assert.equal(res.json.metadata.deletionGracePeriodSeconds, grace);
      // The kubelet's status writes carry the timestamp back through decoding.
      const status = await call(t, 'PUT', `${NS}/pods/${name}/status`, {
        body: { ...res.json, status: { ...res.json.status, phase: 'Running' } },
      });
      assert.equal(status.status, 200, status.text);
    }
  });

  test('a shorter grace period after a huge one counts from now', async () => {
    await create(`${NS}/pods`, boundPod('shortened', 99999999999999));
    const first = await call(t, 'DELETE', `${NS}/pods/shortened`);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.metadata.deletionTimestamp, END_OF_TIME);
    const before = Date.now();
    const second = await call(t, 'DELETE', `${NS}/pods/shortened?gracePeriodSeconds=30`);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.metadata.deletionGracePeriodSeconds, 30);
    const at = Date.parse(second.json.metadata.deletionTimestamp);
    assert.ok(at >= Math.floor(before / 1000) * 1000 + 30_000 && at <= Date.now() + 30_000, second.text);
    const last = await call(t, 'DELETE', `${NS}/pods/shortened?gracePeriodSeconds=0`);
    assert.equal(last.status, 200, last.text);
    assert.equal((await call(t, 'GET', `${NS}/pods/shortened`)).status, 404);
  });

  test('a pod whose terminationGracePeriodSeconds is huge deletes, and so does its namespace', async () => {
    const ns = '/api/v1/namespaces/forever';
    await create('/api/v1/namespaces', { metadata: { name: 'forever' } });
    await create(`${ns}/pods`, boundPod('slow', 99999999999999));
    await create(`${ns}/pods`, boundPod('slower', 2 ** 63 - 1024));
    const plain = await call(t, 'DELETE', `${ns}/pods/slow`);
    assert.equal(plain.status, 200, plain.text);
    assert.equal(plain.json.metadata.deletionTimestamp, END_OF_TIME);
    assert.equal(plain.json.metadata.deletionGracePeriodSeconds, 99999999999999);

    const gone = await call(t, 'DELETE', ns);
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.json.status.phase, 'Terminating');
    // The namespace controller deletes what is left gracefully; then the kubelet's final deletes.
    await eventually('the namespace controller deleted the pod', async () => {
      const p = await call(t, 'GET', `${ns}/pods/slower`);
      return p.json.metadata?.deletionTimestamp === END_OF_TIME;
    });
    for (const name of ['slow', 'slower']) {
      const res = await call(t, 'DELETE', `${ns}/pods/${name}?gracePeriodSeconds=0`);
      assert.equal(res.status, 200, res.text);
    }
    await eventually('the namespace is gone', async () => (await call(t, 'GET', ns)).status === 404);
  });
});
