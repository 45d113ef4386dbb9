// A short test log for `npm test`: when the run ends, one line per test file, then the details
// of every failure (the error, and what the file printed), then the test runner's own summary
// as `# tests N`, `# pass N`, `# fail N`... (the TAP reporter's lines, which CI reads as the last
// lines of the log). scripts/test.mjs writes the complete spec report to a file beside it.
//
// Lines are written at the end, not as files finish: Node 20 emits a file's `test:complete`
// before the events of its tests when files finish out of order, so a file's counts are only
// known once the run is over.
import { relative } from 'node:path';
import { inspect } from 'node:util';

const root = process.cwd();

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

/** What the log needs of one file (events of files run in parallel interleave). */
function newFile() {
  return { passed: 0, failed: 0, skipped: 0, ms: 0, skipReasons: new Set(), failures: [], output: [], names: [] };
}

function fileLine(path, file) {
  const counts = [`${file.passed} passed`];
  if (file.failed > 0) counts.push(`${file.failed} failed`);
  if (file.skipped > 0) counts.push(`${file.skipped} skipped`);
  const mark = file.failed > 0 ? '✖' : '✔';
  const lines = [`${mark} ${relative(root, path)}  ${counts.join(', ')}  (${(file.ms / 1000).toFixed(1)} s)`];
  for (const reason of file.skipReasons) lines.push(`    skipped: ${reason}`);
  return lines.join('\n');
}

function failureDetails(path, file) {
  const lines = [`✖ ${relative(root, path)}`];
  for (const failure of file.failures) lines.push(`  ✖ ${failure.path}`, failure.error);
  const output = file.output.join('').trimEnd();
  if (output !== '') lines.push('  what this file printed:', ...output.split('\n').map((line) => `    ${line}`));
  return lines.join('\n');
}

/** Every file's line, then the failures in full. */
function report(files) {
  const paths = [...files.keys()].sort();
  const failing = paths.filter((path) => files.get(path).failed > 0);
  const parts = paths.map((path) => fileLine(path, files.get(path)));
  if (failing.length > 0) {
    parts.push('', `Failures (${failing.length} file${failing.length === 1 ? '' : 's'}):`);
    for (const path of failing) parts.push('', failureDetails(path, files.get(path)));
  }
  return `${parts.join('\n')}\n`;
}

export default async function* shortReporter(source) {
  const files = new Map();
  const fileOf = (path) => {
    const key = path ?? '(no file)';
    if (!files.has(key)) files.set(key, newFile());
    return files.get(key);
  };
  let reported = false;
  for await (const event of source) {
    const data = event.data ?? {};
    const isFileItself = data.file !== undefined && data.name === data.file;
    switch (event.type) {
      case 'test:start':
        if (!isFileItself) fileOf(data.file).names[data.nesting] = data.name;
        break;
      case 'test:pass': {
        if (isFileItself || data.details?.type === 'suite') break;
        const file = fileOf(data.file);
        if (data.skip !== undefined) {
          file.skipped++;
          if (typeof data.skip === 'string') file.skipReasons.add(data.skip);
        } else if (data.todo === undefined) file.passed++;
        break;
      }
      case 'test:fail': {
        // A suite fails because a test in it failed: that test is reported on its own.
        if (data.details?.error?.failureType === 'subtestsFailed') break;
        const file = fileOf(data.file);
        file.failed++;
        // A file can fail by itself too: it crashed, or exited while tests were pending.
        const path = isFileItself ? '(the file itself)' : [...file.names.slice(0, data.nesting), data.name].join(' › ');
        file.failures.push({ path, error: formatError(data.details?.error) });
        break;
      }
      case 'test:stdout':
      case 'test:stderr':
        fileOf(data.file).output.push(data.message);
        break;
      case 'test:complete':
        if (isFileItself) fileOf(data.file).ms = data.details?.duration_ms ?? 0;
        break;
      case 'test:diagnostic':
        // The run's summary (tests, pass, fail, ...) comes last, outside every file.
        if (data.file === undefined && data.nesting === 0) {
          if (!reported) {
            reported = true;
            yield report(files);
          }
          yield `# ${data.message}\n`;
        }
        break;
      default:
        break;
    }
  }
  if (!reported) yield report(files);
}
