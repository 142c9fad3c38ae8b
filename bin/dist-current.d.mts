export declare const BUILD_STAMP: string;
/** Whether dist/ was compiled from src/ as it is now (bin/dist-current.mjs). */
export declare function distIsCurrent(root: string): boolean;
