import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MqttClient, connect } from 'mqtt';
import { Child, root, tempDir, waitUntil } from './support';

/**
 * What the Home Assistant tests share: a real Mosquitto broker, an MQTT client that keeps every
 * retained and live message, the example flow with its addresses set, and Home Assistant's
 * documented MQTT discovery schema for the components the flow announces.
 */

export const EXAMPLE = join(root, 'examples', 'home-assistant-mqtt.json');

/** Why the broker cannot run here (Debian's `mosquitto`, installed by .ci/run), or undefined. */
export function mosquittoMissing(programs: readonly string[] = ['mosquitto']): string | undefined {
  for (const program of programs) {
    try {
      execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    } catch {
      return `${program} is not installed (apt-get install mosquitto mosquitto-clients): the Home Assistant MQTT tests need a real broker`;
    }
  }
  return undefined;
}

/** A broker config: one listener, anonymous clients, nothing kept on disk. */
export function mosquittoConfig(address: string, port: number): string {
  const dir = tempDir('vstar-mosquitto-');
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, `listener ${port} ${address}\nallow_anonymous true\npersistence false\nlog_dest stderr\n`);
  return file;
}

/** Mosquitto in a process group of its own, in this namespace or (with `prefix`) another. */
export function startMosquitto(configFile: string, prefix: readonly string[] = []): Child {
  const command = prefix.length > 0 ? 'ip' : 'mosquitto';
  const args = prefix.length > 0 ? [...prefix, 'mosquitto', '-c', configFile] : ['-c', configFile];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Child('mosquitto', child);
}

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly at: number;
}

/** An MQTT client on `#` that keeps the last message of every topic and the whole log. */
export class Recorder {
  readonly log: Received[] = [];
  readonly last = new Map<string, Received>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const received = { topic, payload, retain: packet.retain, at: Date.now() };
      this.log.push(received);
      this.last.set(topic, received);
    });
  }

  static async connect(url: string): Promise<Recorder> {
    const client = await waitUntil(
      async () => {
        try {
          return await new Promise<MqttClient>((resolve, reject) => {
            const attempt = connect(url, { reconnectPeriod: 0, connectTimeout: 2000 });
            attempt.once('connect', () => resolve(attempt));
            attempt.once('error', (error) => {
              attempt.end(true);
              reject(error);
            });
            attempt.once('close', () => reject(new Error('closed')));
          });
        } catch {
          return undefined;
        }
      },
      () => `the broker at ${url}`,
    );
    const recorder = new Recorder(client);
    await client.subscribeAsync('#', { qos: 1 });
    return recorder;
  }

  text(topic: string): string | undefined {
    return this.last.get(topic)?.payload.toString();
  }

  /** Waits until `topic` holds `value` (as text), in a message that came at or after `since`. */
  waitFor(topic: string, value: string | ((text: string) => boolean), guardMs = 30_000, since = 0): Promise<Received> {
    const matches = typeof value === 'string' ? (text: string) => text === value : value;
    return waitUntil(
      () => this.log.find((m) => m.topic === topic && m.at >= since && matches(m.payload.toString())),
      () =>
        `${topic} = ${typeof value === 'string' ? value : 'a matching value'} (last: ${this.text(topic) ?? 'nothing'})`,
      guardMs,
    );
  }

  publish(topic: string, payload: string): Promise<unknown> {
    return this.client.publishAsync(topic, payload, { qos: 1 });
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

export type FlowNode = { id: string; type: string; [key: string]: unknown };

export interface FlowAddresses {
  readonly broker: string;
  readonly brokerPort: number;
  readonly targets: string;
  readonly dhPort: number;
  readonly searchPort: number;
  /** UID (or IP) of "Camera 1" and "Camera 2". */
  readonly cameras: readonly [string, string];
  readonly topicRoot?: string;
}

/**
 * The example as a user imports it, with only what a user sets: the broker, the network's
 * targets and ports, the two cameras, and (for a second site) the topic root.
 */
export function exampleFlow(addresses: FlowAddresses, readFile: (path: string) => string): FlowNode[] {
  const nodes = JSON.parse(readFile(EXAMPLE)) as FlowNode[];
  const byId = (id: string): FlowNode => {
    const node = nodes.find((n) => n.id === id);
    if (!node) throw new Error(`the example has no node ${id}`);
    return node;
  };
  Object.assign(byId('ha1broker'), { broker: addresses.broker, port: String(addresses.brokerPort) });
  Object.assign(byId('ha1net'), {
    targets: addresses.targets,
    dhPort: String(addresses.dhPort),
    searchPort: String(addresses.searchPort),
    timeout: '2',
  });
  byId('ha1camera1').camera = addresses.cameras[0];
  byId('ha1camera2').camera = addresses.cameras[1];
  if (addresses.topicRoot !== undefined) {
    const env = byId('ha1tab').env as { name: string; value: string }[];
    const entry = env.find((e) => e.name === 'TOPIC_ROOT');
    if (!entry) throw new Error('the example has no TOPIC_ROOT');
    entry.value = addresses.topicRoot;
  }
  return nodes;
}

/**
 * Home Assistant's MQTT discovery schema for what the flow announces: required keys, and the
 * allowed values where the docs give a list. Sources (checked 2026-12):
 * - discovery topic `<prefix>/<component>/[<node_id>/]<object_id>/config`, ids `[a-zA-Z0-9_-]+`,
 *   the `device` map (identifiers, connections, name, manufacturer, model, sw_version) and
 *   `availability` (a list of {topic, payload_available, payload_not_available}; mode all|any|latest):
 *   https://www.home-assistant.io/integrations/mqtt/
 * - binary_sensor: state_topic; payload_on/off default ON/OFF; device_class connectivity, motion:
 *   https://www.home-assistant.io/integrations/binary_sensor.mqtt/
 * - sensor: state_topic required; state_class measurement; device_class duration with a time unit:
 *   https://www.home-assistant.io/integrations/sensor.mqtt/
 * - camera: topic required, the raw image bytes: https://www.home-assistant.io/integrations/camera.mqtt/
 * - button: command_topic required, payload_press default PRESS; device_class restart:
 *   https://www.home-assistant.io/integrations/button.mqtt/
 * - switch: command_topic required, state_topic, payload_on/off: https://www.home-assistant.io/integrations/switch.mqtt/
 */
export const HA_SCHEMA: Record<string, { required: readonly string[]; deviceClasses: readonly string[] }> = {
  binary_sensor: { required: ['state_topic'], deviceClasses: ['connectivity', 'motion'] },
  sensor: { required: ['state_topic'], deviceClasses: ['duration'] },
  camera: { required: ['topic'], deviceClasses: [] },
  button: { required: ['command_topic'], deviceClasses: ['restart', 'identify', 'update'] },
  switch: { required: ['command_topic'], deviceClasses: ['outlet', 'switch'] },
};
const ENTITY_CATEGORIES = ['config', 'diagnostic'];
const AVAILABILITY_MODES = ['all', 'any', 'latest'];
const TIME_UNITS = ['d', 'h', 'min', 's', 'ms'];
const ID = /^[a-zA-Z0-9_-]+$/;

/** The problems of one discovery message against the schema above; empty when it conforms. */
export function schemaProblems(topic: string, text: string, discoveryPrefix = 'homeassistant'): string[] {
  const problems: string[] = [];
  const parts = topic.split('/');
  const component = parts[1] ?? '';
  const ids = parts.slice(2, -1);
  if (parts[0] !== discoveryPrefix || parts.at(-1) !== 'config' || ids.length < 1 || ids.length > 2)
    problems.push(`topic ${topic} is not <prefix>/<component>/[<node_id>/]<object_id>/config`);
  if (!ids.every((id) => ID.test(id))) problems.push(`topic ids of ${topic} are not [a-zA-Z0-9_-]+`);
  const schema = HA_SCHEMA[component];
  if (!schema) return [...problems, `component ${component} is not one the flow should announce`];
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [...problems, 'payload is not JSON'];
  }
  for (const key of schema.required) if (typeof config[key] !== 'string') problems.push(`missing ${key}`);
  for (const key of ['state_topic', 'command_topic', 'topic'])
    if (key in config && (typeof config[key] !== 'string' || /[#+]/.test(String(config[key]))))
      problems.push(`${key} must be a topic without wildcards`);
  if (typeof config['unique_id'] !== 'string' || config['unique_id'] === '') problems.push('missing unique_id');
  if ('device_class' in config && !schema.deviceClasses.includes(String(config['device_class'])))
    problems.push(`device_class ${String(config['device_class'])} is not one of ${component}'s`);
  if (config['device_class'] === 'duration' && !TIME_UNITS.includes(String(config['unit_of_measurement'])))
    problems.push('a duration needs a time unit');
  if ('entity_category' in config && !ENTITY_CATEGORIES.includes(String(config['entity_category'])))
    problems.push(`entity_category ${String(config['entity_category'])}`);
  if ('state_class' in config && config['state_class'] !== 'measurement') problems.push('state_class');
  if ('availability_topic' in config && 'availability' in config)
    problems.push('availability and availability_topic must not be used together');
  const availability = config['availability'];
  if (
    !Array.isArray(availability) ||
    availability.length === 0 ||
    !availability.every(
      (a: unknown) => typeof a === 'object' && a !== null && typeof (a as { topic?: unknown }).topic === 'string',
    )
  )
    problems.push('availability must be a list of {topic}');
  if ('availability_mode' in config && !AVAILABILITY_MODES.includes(String(config['availability_mode'])))
    problems.push('availability_mode');
  const device = config['device'] as Record<string, unknown> | undefined;
  if (typeof device !== 'object' || device === null) problems.push('missing device');
  else {
    const identifiers = device['identifiers'];
    if (!Array.isArray(identifiers) || identifiers.length === 0) problems.push('device.identifiers');
    for (const key of ['name', 'manufacturer', 'model', 'sw_version'])
      if (typeof device[key] !== 'string' || device[key] === '') problems.push(`device.${key}`);
    const connections = device['connections'];
    if (
      !Array.isArray(connections) ||
      !connections.some(
        (c: unknown) => Array.isArray(c) && c[0] === 'mac' && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(String(c[1])),
      )
    )
      problems.push('device.connections has no ["mac", aa:bb:..]');
  }
  return problems;
}

/** A JPEG: SOI at the start, EOI at the end. */
export function isJpeg(data: Buffer): boolean {
  return data.length > 4 && data[0] === 0xff && data[1] === 0xd8 && data.at(-2) === 0xff && data.at(-1) === 0xd9;
}
