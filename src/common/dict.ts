/**
 * `dict[key] = value` for keys a user chose (metadata, specs), including `__proto__`: assigned, that
 * key would set the object's prototype (or be ignored, for a string) instead of storing the entry.
 */
export function setKey<V>(dict: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__')
    Object.defineProperty(dict, key, { value, writable: true, enumerable: true, configurable: true });
  else dict[key] = value;
}
