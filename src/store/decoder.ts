import { Either, Option, ParseResult, Schema, SchemaAST as AST } from "effect"

/**
 * A decoder compiled once from a Schema, for results of thousands of rows: it gives what
 * `Schema.decodeUnknownEither(Schema.Array(schema))` gives (the same values, the same keys in the
 * same order, the same ParseError), four to seven times faster (docs/PERFORMANCE.md), because it
 * walks the schema's AST once, here, instead of once a row. A node it does not know (and any row it refuses) goes to
 * Schema's own decoder, so it is never less strict than the schema nor kinder to a bad row.
 */
export const compileDecoder = <A, I>(schema: Schema.Schema<A, I>) => {
  const one = compile(schema.ast)
  // Built when a row is refused, not at every start.
  const slow = (rows: ReadonlyArray<unknown>) => Schema.decodeUnknownEither(Schema.Array(schema))(rows)
  return (rows: ReadonlyArray<unknown>): Either.Either<ReadonlyArray<A>, ParseResult.ParseError> => {
    const out: Array<A> = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const value = one(rows[i])
      // A row the fast path refuses: Schema's decoder says why (or, had it accepted, decodes).
      if (value === REFUSED) return slow(rows)
      // What the schema's own decoder would give for this row (test/store/decoder.test.ts).
      out[i] = value as A
    }
    return Either.right(out)
  }
}

const REFUSED: unique symbol = Symbol("refused")
type Decode = (input: unknown) => unknown

const OPTIONS: AST.ParseOptions = {}

const compile = (ast: AST.AST): Decode => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => (typeof u === "string" ? u : REFUSED)
    case "NumberKeyword":
      return (u) => (typeof u === "number" ? u : REFUSED)
    case "BooleanKeyword":
      return (u) => (typeof u === "boolean" ? u : REFUSED)
    case "UnknownKeyword":
    case "AnyKeyword":
      return (u) => u
    case "Literal": {
      const literal = ast.literal
      return (u) => (u === literal ? u : REFUSED)
    }
    case "Union": {
      // Members that only check (no transformation) give back the input whichever one accepts.
      if (!ast.types.every(checksOnly)) break
      const literals: ReadonlySet<unknown> = new Set(ast.types.flatMap((member) => (AST.isLiteral(member) ? [member.literal] : [])))
      const others = ast.types.filter((member) => !AST.isLiteral(member)).map(compile)
      return (u) => {
        if (literals.has(u)) return u
        for (const member of others) if (member(u) !== REFUSED) return u
        return REFUSED
      }
    }
    case "Refinement": {
      const from = compile(ast.from)
      return (u) => {
        const value = from(u)
        return value !== REFUSED && Option.isNone(ast.filter(value, OPTIONS, ast)) ? value : REFUSED
      }
    }
    case "TupleType": {
      const [rest, ...more] = ast.rest
      if (ast.elements.length > 0 || rest === undefined || more.length > 0) break
      const item = compile(rest.type)
      return (u) => {
        if (!Array.isArray(u)) return REFUSED
        const out = new Array(u.length)
        for (let i = 0; i < u.length; i++) {
          const value = item(u[i])
          if (value === REFUSED) return REFUSED
          out[i] = value
        }
        return out
      }
    }
    case "TypeLiteral": {
      if (ast.indexSignatures.length > 0 || ast.propertySignatures.some((ps) => ps.isOptional || typeof ps.name !== "string")) break
      return objectOf(ast.propertySignatures.map((ps) => [String(ps.name), ps.type] as const))
    }
    case "Transformation": {
      const kind = ast.transformation
      if (kind._tag === "TypeLiteralTransformation") break
      const from = compile(ast.from)
      const to = compile(ast.to)
      return (u) => {
        const decoded = from(u)
        if (decoded === REFUSED) return REFUSED
        if (kind._tag === "ComposeTransformation") return to(decoded)
        const result = kind.decode(decoded, OPTIONS, ast, u)
        return Either.isEither(result) && Either.isRight(result) ? to(result.right) : REFUSED
      }
    }
  }
  // Anything else: Schema's own decoder for this node.
  const decode = ParseResult.decodeUnknownEither(Schema.make(ast))
  return (u) => {
    const result = decode(u)
    return Either.isRight(result) ? result.right : REFUSED
  }
}

/** A node whose decoding returns its input unchanged when it accepts it. */
const checksOnly = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "StringKeyword":
    case "NumberKeyword":
    case "BooleanKeyword":
    case "Literal":
    case "UnknownKeyword":
    case "AnyKeyword":
      return true
    case "Refinement":
      return checksOnly(ast.from)
    case "Union":
      return ast.types.every(checksOnly)
    default:
      return false
  }
}

/**
 * The decoder of an object with these fields, as one generated function: a field that only
 * checks a primitive (string, number, a literal, a union of those) is checked in line, the
 * others call their decoder, and the result is one object literal. A row of a few dozen columns
 * then costs a few calls instead of one per column and node, which matters most before the JIT
 * has warmed up, i.e. in every CLI run. The code is built from the schema's keys and literals
 * (quoted by JSON.stringify), never from data.
 */
const objectOf = (fields: ReadonlyArray<readonly [string, AST.AST]>): Decode => {
  const decoders: Array<Decode> = []
  const lines = fields.map(([name, ast], i) => {
    const read = `const v${i} = u[${JSON.stringify(name)}]`
    const check = inlineCheck(ast, `v${i}`)
    if (check !== undefined) return `${read}; if (!(${check})) return R`
    decoders.push(compile(ast))
    return `${read.replace(`= u[`, `= d[${decoders.length - 1}](u[`)}); if (v${i} === R) return R`
  })
  const body = [
    "return (u) => {",
    "  if (typeof u !== 'object' || u === null) return R",
    ...lines.map((line) => `  ${line}`),
    `  return { ${fields.map(([name], i) => `${JSON.stringify(name)}: v${i}`).join(", ")} }`,
    "}"
  ].join("\n")
  return new Function("d", "R", body)(decoders, REFUSED) as Decode
}

/** A JS condition on `v` that is true exactly when `ast` accepts it unchanged; none if there is no such simple test. */
const inlineCheck = (ast: AST.AST, v: string): string | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return `typeof ${v} === "string"`
    case "NumberKeyword":
      return `typeof ${v} === "number"`
    case "BooleanKeyword":
      return `typeof ${v} === "boolean"`
    case "UnknownKeyword":
    case "AnyKeyword":
      return "true"
    case "Literal":
      return ast.literal === null || ["string", "number", "boolean"].includes(typeof ast.literal)
        ? `${v} === ${JSON.stringify(ast.literal)}`
        : undefined
    case "Union": {
      const checks = ast.types.map((member) => inlineCheck(member, v))
      return checks.every((check) => check !== undefined) ? `(${checks.join(" || ")})` : undefined
    }
    default:
      return undefined
  }
}
