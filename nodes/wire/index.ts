export * from './result';
export * from './did';
export * from './pppp';
export * from './dh';
export * from './cipher';
export * from './cgi';
export * from './address';
