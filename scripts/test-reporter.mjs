// A short test log: one line per test file, the full story only for what failed, then the test
// runner's own summary as `# tests N`, `# pass N`, `# fail N` (the TAP reporter's lines, which CI
// reads as the last lines of the log). scripts/test.mjs also writes the complete spec report
// to a file.
import { relative } from 'node:path';
import { inspect } from 'node:util';

const root = process.cwd();

/** What the log needs of one file while its tests run (events of parallel files interleave). */
function newFile() {
  return {
    passed: 0,
    failed: 0,
    skipped: 0,
    skipReasons: new Set(),
    failures: [],
    output: [],
    names: [],
    reported: false,
  };
}

/** Stack frames inside Node itself say nothing about the failure. */
const INTERNAL_FRAME = /^\s+at (node:|.*\((node:|<anonymous>\)))/;

function formatError(error) {
  // The runner wraps a test's error; `cause` is what the test threw.
  const thrown = error?.failureType === 'testCodeFailure' && error.cause !== undefined ? error.cause : error;
  return inspect(thrown, { depth: 6, colors: false })
    .split('\n')
    .filter((line) => !INTERNAL_FRAME.test(line))
    .map((line) => `    ${line}`)
    .join('\n');
}

function fileSummary(path, file, ms) {
  const counts = [`${file.passed} passed`];
  if (file.failed > 0) counts.push(`${file.failed} failed`);
  if (file.skipped > 0) counts.push(`${file.skipped} skipped`);
  const mark = file.failed > 0 ? '✖' : '✔';
  return report(`${mark} ${relative(root, path)}  ${counts.join(', ')}  (${(ms / 1000).toFixed(1)} s)`, file);
}

function report(heading, file) {
  const lines = [heading];
  for (const reason of file.skipReasons) lines.push(`    skipped: ${reason}`);
  for (const failure of file.failures) {
    lines.push(`  ✖ ${failure.path}`, failure.error);
  }
  if (file.failed > 0 && file.output.length > 0) {
    lines.push(
      '  output of this file:',
      ...file.output
        .join('')
        .trimEnd()
        .split('\n')
        .map((l) => `    ${l}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

export default async function* shortReporter(source) {
  const files = new Map();
  const fileOf = (path) => {
    const key = path ?? '(no file)';
    if (!files.has(key)) files.set(key, newFile());
    return files.get(key);
  };
  let summaryStarted = false;
  for await (const event of source) {
    const data = event.data ?? {};
    const isFileItself = data.file !== undefined && data.name === data.file;
    switch (event.type) {
      case 'test:start': {
        if (isFileItself) break;
        const file = fileOf(data.file);
        file.names[data.nesting] = data.name;
        break;
      }
      case 'test:pass': {
        if (isFileItself) break;
        const file = fileOf(data.file);
        if (data.details?.type === 'suite') break;
        if (data.skip !== undefined) {
          file.skipped++;
          if (typeof data.skip === 'string') file.skipReasons.add(data.skip);
        } else if (data.todo === undefined) file.passed++;
        break;
      }
      case 'test:fail': {
        const file = fileOf(data.file);
        // A suite fails because a test in it failed: that test is reported on its own.
        if (data.details?.error?.failureType === 'subtestsFailed') break;
        file.failed++;
        const path = isFileItself ? '(the file itself)' : [...file.names.slice(0, data.nesting), data.name].join(' › ');
        file.failures.push({ path, error: formatError(data.details?.error) });
        // A file that fails by itself (it crashed, or exited early) is told after its completion.
        if (file.reported) {
          const failure = { ...file, skipReasons: [], failures: file.failures.slice(-1) };
          yield report(`✖ ${relative(root, data.file)}  failed outside its tests`, failure);
        }
        break;
      }
      case 'test:stdout':
      case 'test:stderr':
        fileOf(data.file).output.push(data.message);
        break;
      case 'test:complete':
        if (isFileItself) {
          const file = fileOf(data.file);
          file.reported = true;
          yield fileSummary(data.file, file, data.details?.duration_ms ?? 0);
        }
        break;
      case 'test:diagnostic':
        // The run's summary (tests, pass, fail, ...) comes last, outside every file.
        if (data.file === undefined && data.nesting === 0) {
          if (!summaryStarted) {
            summaryStarted = true;
            for (const [path, file] of files) if (!file.reported && file.failed > 0) yield fileSummary(path, file, 0);
          }
          yield `# ${data.message}\n`;
        }
        break;
      default:
        break;
    }
  }
}
