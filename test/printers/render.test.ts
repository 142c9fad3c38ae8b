// The text kubectl prints for a Table, compared with kubectl v1.32's output in
// /work/shared/reference/kubectl-transcripts (the expected text is copied here so the test stands alone).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { printerFor } from '../../src/printers/index.js';
import { renderTable, TableRenderer } from '../../src/printers/render.js';
import { TabWriter } from '../../src/printers/tabwriter.js';
import type { PrintedTable, TableColumnDefinition } from '../../src/printers/types.js';
import { ago, app, condition, lastTerminated, NOW, pod, running } from './pod-fixtures.js';

/** A table shaped like the probe server's in the transcripts (its Pod table had 7 columns). */
function col(name: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type: 'string', format, description: '', priority };
}

function obj(name: string, labels?: Record<string, string>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, ...(labels ? { labels } : {}) } };
}

const probePods: PrintedTable = {
  columnDefinitions: [
    col('Name', 0, 'name'),
    col('Ready'),
    col('Status'),
    col('Restarts'),
    col('Age'),
    col('IP', 1),
    col('Node', 1),
  ],
  rows: [
    { cells: ['web', '2/2', 'Running', 1, '1s', '10.88.0.2', 'local'], object: obj('web', { app: 'web' }) },
  ],
};

describe('kubectl transcripts', () => {
  test('get pods: priority-1 columns are hidden and columns are 3 spaces apart (get-pods-*.txt)', () => {
    assert.equal(
      renderTable(probePods),
      'NAME   READY   STATUS    RESTARTS   AGE\nweb    2/2     Running   1          1s\n',
    );
  });

  test('get pods -o wide shows priority-1 columns (get-pods-wide.txt)', () => {
    assert.equal(
      renderTable(probePods, { wide: true }),
      'NAME   READY   STATUS    RESTARTS   AGE   IP          NODE\n' +
        'web    2/2     Running   1          1s    10.88.0.2   local\n',
    );
  });

  test('get pods -A puts NAMESPACE first (get-pods-all-ns.txt)', () => {
    assert.equal(
      renderTable(probePods, { withNamespace: true }),
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE\ndefault     web    2/2     Running   1          1s\n',
    );
  });

  test('get pods --show-labels puts LABELS last (x-get_pods_-l_app_web_--show-labels.txt)', () => {
    assert.equal(
      renderTable(probePods, { showLabels: true }),
      'NAME   READY   STATUS    RESTARTS   AGE   LABELS\nweb    2/2     Running   1          1s    app=web\n',
    );
  });

  test('get events prints the involved object as kind/name (get-events.txt)', () => {
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{app}' },
      reason: 'Started',
      message: 'Started container app',
      type: 'Normal',
      source: { component: 'kubelet', host: 'local' },
      firstTimestamp: ago(2),
      lastTimestamp: ago(2),
      count: 1,
    };
    assert.equal(
      renderTable(printerFor('Event')!([event], NOW)),
      'LAST SEEN   TYPE     REASON    OBJECT    MESSAGE\n2s          Normal   Started   pod/web   Started container app\n',
    );
  });

  test('get deployments (get-deploy.txt) and get all with kind prefixes (x-get_all.txt)', () => {
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default', creationTimestamp: ago(2) },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: { spec: { containers: [app('api')] } },
      },
      status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    };
    const deployments = printerFor('Deployment')!([deployment], NOW);
    assert.equal(
      renderTable(deployments),
      'NAME   READY   UP-TO-DATE   AVAILABLE   AGE\napi    2/2     2            2           2s\n',
    );
    const web: Pod = pod({
      name: 'web',
      phase: 'Running',
      createdSecondsAgo: 2,
      containers: [app('app'), app('sidecar')],
      conditions: [condition('Ready', 'True')],
      statuses: [running('app', { restartCount: 1 }), running('sidecar')],
    });
    const pods = printerFor('Pod')!([web as unknown as KubeObject], NOW);
    assert.equal(
      renderTable(pods, { withKind: 'pod' }),
      'NAME      READY   STATUS    RESTARTS   AGE\npod/web   2/2     Running   1          2s\n',
    );
    assert.equal(
      renderTable(deployments, { withKind: 'deployment.apps' }),
      'NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\ndeployment.apps/api   2/2     2            2           2s\n',
    );
  });

  test('get pods -w prints the header once and each later row under it (get-pods-watch.txt)', () => {
    const r = new TableRenderer();
    const row = (
      name: string,
      ready: string,
      status: string,
      restarts: string,
      age: string,
    ): PrintedTable => ({
      columnDefinitions: probePods.columnDefinitions,
      rows: [{ cells: [name, ready, status, restarts, age, '', ''], object: obj(name) }],
    });
    const out = [
      r.render(row('web', '2/2', 'Running', '1', '0s')),
      r.render(row('web', '2/2', 'Running', '2', '2s')),
      r.render({ columnDefinitions: [], rows: row('new1', '0/1', 'Pending', '0', '0s').rows }),
      r.render(row('new1', '0/1', 'Pending', '0', '1s')),
    ].join('');
    assert.equal(
      out,
      'NAME   READY   STATUS    RESTARTS   AGE\n' +
        'web    2/2     Running   1          0s\n' +
        'web    2/2     Running   2          2s\n' +
        'new1   0/1     Pending   0          0s\n' +
        'new1   0/1     Pending   0          1s\n',
    );
  });

  test('--output-watch-events adds an EVENT column first (get-pods-watch-events.txt)', () => {
    const r = new TableRenderer();
    const row = (name: string, restarts: string, age: string): PrintedTable => ({
      columnDefinitions: probePods.columnDefinitions,
      rows: [{ cells: [name, '2/2', 'Running', restarts, age, '', ''], object: obj(name) }],
    });
    const out =
      r.render(row('web', '2', '6s'), { watchEvent: 'ADDED' }) +
      r.render(row('web', '3', '7s'), { watchEvent: 'MODIFIED' });
    assert.equal(
      out,
      'EVENT      NAME   READY   STATUS    RESTARTS   AGE\nADDED      web    2/2     Running   2          6s\nMODIFIED   web    2/2     Running   3          7s\n',
    );
  });
});

describe('layout rules', () => {
  test('a column is at least 6 wide (tabwriter minwidth) and the last column is never padded', () => {
    const t: PrintedTable = {
      columnDefinitions: [col('Name', 0, 'name'), col('X'), col('Y')],
      rows: [{ cells: ['a', 1, 'last'], object: obj('a') }],
    };
    assert.equal(renderTable(t, { noHeaders: true }), 'a     1     last\n');
    assert.equal(renderTable(t), 'NAME   X     Y\na      1     last\n');
  });

  test('with no rows nothing is printed, not even the header', () => {
    assert.equal(renderTable({ columnDefinitions: probePods.columnDefinitions, rows: [] }), '');
  });

  test('labels print sorted k=v pairs, <none> without labels; -L adds one column per key', () => {
    const t: PrintedTable = {
      columnDefinitions: [col('Name', 0, 'name')],
      rows: [
        { cells: ['a'], object: obj('a', { tier: 'web', app: 'shop' }) },
        { cells: ['b'], object: obj('b') },
      ],
    };
    assert.equal(
      renderTable(t, { showLabels: true, columnLabels: ['example.com/tier'] }),
      'NAME   TIER   LABELS\na             app=shop,tier=web\nb      ' + '       <none>\n',
    );
    assert.equal(renderTable(t, { columnLabels: ['tier'] }), 'NAME   TIER\na      web\nb      \n');
  });

  test('cells stop at the first newline with ..., and escape characters are made visible', () => {
    const t: PrintedTable = {
      columnDefinitions: [col('Name', 0, 'name'), col('Message')],
      rows: [
        { cells: ['a', 'first line\nsecond line'], object: obj('a') },
        { cells: ['b', 'red \x1b[31mtext'], object: obj('b') },
      ],
    };
    assert.equal(renderTable(t, { noHeaders: true }), 'a     first line...\nb     red ^[[31mtext\n');
  });

  test('widths count characters, not UTF-16 units', () => {
    assert.equal(
      new TabWriter({ minwidth: 0, padding: 1, rememberWidths: false }).write('é𝒳\tx\nab\ty\n'),
      'é𝒳 x\nab y\n',
    );
  });

  test('a full wide pod table from printPod has the nine upstream columns', () => {
    const web = pod({
      name: 'web',
      phase: 'Running',
      createdSecondsAgo: 90,
      statuses: [running('app', { restartCount: 3, ...lastTerminated(10) })],
    });
    web.spec!.nodeName = 'local';
    web.status!.podIPs = [{ ip: '10.88.0.2' }];
    const table = printerFor('Pod')!([web as unknown as KubeObject], NOW);
    assert.equal(
      renderTable(table, { wide: true }),
      'NAME   READY   STATUS    RESTARTS      AGE   IP          NODE    NOMINATED NODE   READINESS GATES\n' +
        'web    1/1     Running   3 (10s ago)   90s   10.88.0.2   local   <none>           <none>\n',
    );
  });
});
