export declare const BUILD_STAMP: string;
/** Every file under `<root>/src`: relative path → [size, mtimeMs] (bin/dist-current.mjs). */
export declare function sourceManifest(root: string): Record<string, [number, number]>;
/** Whether dist/ was compiled from src/ as it is now (bin/dist-current.mjs). */
export declare function distIsCurrent(root: string): boolean;
/** What bin/podrun runs: the compiled dist/ or the TypeScript source (bin/dist-current.mjs). */
export declare function podrunForm(root: string, env: Record<string, string | undefined>): 'dist' | 'source';
