// Types of bin/cli-build.mjs (plain JavaScript: bin/ runs before anything is compiled).
export declare const cacheRoot: string;
/** The bundle's entry when it is built from the sources as they are now, else null. */
export declare function freshEntry(): string | null;
/** Builds the bundle and makes it current; returns its entry. */
export declare function buildEntry(): Promise<string>;
