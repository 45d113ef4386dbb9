// The parts of node-red-node-test-helper (which ships no types) that these tests use.
declare module 'node-red-node-test-helper' {
  import { type Node, type NodeAPI } from 'node-red';

  interface TestResponse {
    readonly status: number;
    readonly body: unknown;
    readonly text: string;
  }

  interface TestRequest extends PromiseLike<TestResponse> {
    query(params: Readonly<Record<string, string>>): TestRequest;
    set(header: string, value: string): TestRequest;
  }

  interface TestAgent {
    get(path: string): TestRequest;
  }

  type NodeModule = (RED: NodeAPI) => void;

  interface NodeTestHelper {
    init(runtimePath: string, userSettings?: object): void;
    settings(userSettings: object): object;
    load(nodes: NodeModule | NodeModule[], flow: object[], credentials?: object): Promise<void>;
    unload(): Promise<void>;
    setFlows(flow: object[], type?: 'full' | 'flows' | 'nodes', credentials?: object): Promise<void>;
    getNode(id: string): Node | undefined | null;
    request(): TestAgent;
  }

  const helper: NodeTestHelper;
  export = helper;
}
