const shims = { 'k6/crypto': new URL('./crypto.mjs', import.meta.url).href };
export async function resolve(specifier, context, next) {
  return specifier in shims ? { url: shims[specifier], shortCircuit: true } : next(specifier, context);
}
