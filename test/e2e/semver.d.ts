// semver ships no types and @types/semver is not installed; it is here as a dependency of
// node-red (and of npm), which is what the packaging test uses it through.
declare module 'semver' {
  export function satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean;
  export function validRange(range: string): string | null;
}
