/** One engine Lua script: how many of its arguments are keys, and its body (run after PRELUDE). */
export interface ScriptDef {
  keys: number;
  lua: string;
}
