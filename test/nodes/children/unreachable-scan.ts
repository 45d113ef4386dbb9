// Run by discover-limits.test.ts inside a network namespace of its own (only loopback up): a
// discover node scans 255.255.255.255, which has no route there, and this prints what the node
// showed as one JSON line.
import { type NodeStatus } from 'node-red';
import networkModule from '../../../nodes/vstar-network';
import discoverModule from '../../../nodes/vstar-discover';
import { Inbox, getNode, helper, onTab, statuses, waitStatus } from '../fixtures';
import { callsOn } from '../../reliability/nodes-support';

async function main(): Promise<void> {
  await helper.load(
    [networkModule, discoverModule],
    onTab([
      // prettier-ignore
      { id: 'net', type: 'vstar-network', name: 'unreachable', bind: '0.0.0.0', targets: '255.255.255.255', dhPort: 8600, searchPort: 32108, localDhPort: 0, localPort: 0, timeout: 2, passphrases: '' },
      // prettier-ignore
      { id: 'disc', type: 'vstar-discover', name: '', network: 'net', interval: 0, window: 200, output: 'list', includeSecrets: false, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]),
  );
  const inbox = new Inbox(getNode('out'));
  getNode('disc').receive({ payload: 'scan' });
  const complete = await inbox.event('scan-complete');
  const status: NodeStatus = await waitStatus(getNode('disc'), (s) => s.fill !== 'yellow', 'settled status');
  const errors = (complete.payload as { errors: string[] }).errors;
  const logged = callsOn(getNode('disc'), 'error').map((args) => String(args[0]));
  console.log(JSON.stringify({ status, errors, logged, statuses: statuses(getNode('disc')) }));
  await helper.unload();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
