import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './emulator-process';

/**
 * A real Node-RED runtime in the benchmark's process, as a user runs it minus the HTTP listener:
 * the editor's admin API and its comms are set up (a status goes where an editor would hear it),
 * flows are deployed through the runtime API the editor's Deploy button calls, and saved to a
 * flows file in a temporary user directory. node-red-node-test-helper wraps every node's send,
 * status and log, and Node-RED's log, in sinon spies that capture a stack per call, and deep-compares
 * the whole flow after each load: at 1000 nodes that was a third of the startup benchmark's time,
 * cost no Node-RED installation has.
 *
 * This package's nodes load from their TypeScript sources through tsx (the benchmark runs under
 * it), by one-line shims in a nodes directory; `bench-sink` is a node that records what reaches it.
 */

/** What a benchmark uses of a deployed node. */
export interface RuntimeNode {
  receive(msg: object): void;
}

export interface Arrival {
  readonly msg: { readonly event?: unknown; readonly payload?: unknown };
  /** performance.now() when the message reached the sink. */
  readonly at: number;
}

/** A deployed `bench-sink`: every message that reached it, and a callback for each new one. */
export interface Sink extends RuntimeNode {
  readonly arrivals: Arrival[];
  onArrival: ((arrival: Arrival) => void) | undefined;
}

interface NodeRedModule {
  init(server: unknown, settings: object): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly nodes: { getNode(id: string): unknown };
  readonly events: { once(event: 'flows:started', listener: () => void): void };
  readonly runtime: {
    flows: { setFlows(opts: { flows: { flows: object[] }; deploymentType: string }): Promise<unknown> };
    nodes: { getNodeList(opts: object): Promise<{ id: string; types: string[]; err?: unknown }[]> };
  };
}

const NODE_FILES = ['vstar-network', 'vstar-session'] as const;

const SINK_JS = `module.exports = function (RED) {
  function BenchSink(def) {
    RED.nodes.createNode(this, def);
    this.arrivals = [];
    this.onArrival = undefined;
    this.on('input', (msg) => {
      const arrival = { msg, at: performance.now() };
      this.arrivals.push(arrival);
      if (this.onArrival) this.onArrival(arrival);
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
`;
const SINK_HTML = `<script type="text/javascript">
  RED.nodes.registerType('bench-sink', { category: 'common', defaults: {}, inputs: 1, outputs: 0 });
</script>
`;

export class NodeRedRuntime {
  private constructor(
    private readonly red: NodeRedModule,
    private readonly userDir: string,
  ) {}

  /** Initialises and starts Node-RED (core nodes, this package's session and network nodes) with no flows. */
  static async start(): Promise<NodeRedRuntime> {
    const userDir = mkdtempSync(join(tmpdir(), 'bench-nodered-'));
    const nodesDir = join(userDir, 'bench-nodes');
    mkdirSync(nodesDir);
    for (const name of NODE_FILES) {
      writeFileSync(
        join(nodesDir, `${name}.js`),
        `module.exports = require(${JSON.stringify(join(ROOT, 'nodes', `${name}.ts`))});\n`,
      );
      symlinkSync(join(ROOT, 'nodes', `${name}.html`), join(nodesDir, `${name}.html`));
    }
    writeFileSync(join(nodesDir, 'bench-sink.js'), SINK_JS);
    writeFileSync(join(nodesDir, 'bench-sink.html'), SINK_HTML);
    writeFileSync(join(userDir, 'flows.json'), '[]');
    const load = createRequire(__filename);
    const red = load('node-red') as NodeRedModule;
    // Never listened on: the admin API and comms exist as in an installation, nothing is reachable.
    const server = createServer();
    red.init(server, {
      userDir,
      nodesDir,
      flowFile: 'flows.json',
      credentialSecret: false,
      httpAdminRoot: '/',
      httpNodeRoot: false,
      disableEditor: true,
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
      editorTheme: { tours: false, palette: { catalogues: [] } },
      externalModules: { palette: { allowInstall: false }, modules: { allowInstall: false } },
      logging: { console: { level: 'warn', metrics: false, audit: false } },
    });
    await red.start();
    // A node that fails to load would leave a deploy waiting for its type forever: fail here instead.
    const loaded = await red.runtime.nodes.getNodeList({});
    for (const type of [...NODE_FILES, 'bench-sink']) {
      const set = loaded.find((entry) => entry.types.includes(type));
      if (!set || set.err) {
        await red.stop();
        throw new Error(`Node-RED did not load ${type}: ${String(set?.err ?? 'not found')}`);
      }
    }
    return new NodeRedRuntime(red, userDir);
  }

  /**
   * A full deploy, as the editor's Deploy button does. The runtime answers once the flows are
   * saved and starts them after; this resolves once they have started.
   */
  async deploy(flows: object[]): Promise<void> {
    const started = new Promise<void>((resolve) => this.red.events.once('flows:started', resolve));
    await this.red.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
    await started;
  }

  node(id: string): RuntimeNode {
    const node = this.red.nodes.getNode(id) as RuntimeNode | null;
    if (!node) throw new Error(`node ${id} is not deployed`);
    return node;
  }

  sink(id: string): Sink {
    const node = this.red.nodes.getNode(id) as Partial<Sink> | null;
    if (!node || !Array.isArray(node.arrivals)) throw new Error(`node ${id} is no deployed bench-sink`);
    return node as Sink;
  }

  async stop(): Promise<void> {
    await this.red.stop();
    rmSync(this.userDir, { recursive: true, force: true });
  }
}
