// hub never reads config files through @effect/cli: its yaml/toml/ini parsers only cost start-up time.
const unused = () => {
  throw new Error("config-file parsing is not part of the hub bundle")
}
module.exports = { parse: unused, stringify: unused, decode: unused, encode: unused }
