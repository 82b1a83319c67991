// Cross-checks jit tickets with panva's "paseto" package, an independent
// PASETO v4 implementation (Node's own Ed25519). Usage:
//   node interop.js verify K4_PUBLIC_PASERK TOKEN      -> {"payload":..,"footer":..}
//   node interop.js sign K4_SECRET_PASERK FOOTER CLAIMS_JSON   -> token
'use strict'

const { V4 } = require('paseto')

function paserkBytes(paserk, header, length) {
  if (!paserk.startsWith(header)) throw new Error(`not a ${header} PASERK`)
  const bytes = Buffer.from(paserk.slice(header.length), 'base64url')
  if (bytes.length !== length) throw new Error(`${header} key of the wrong length`)
  return bytes
}

async function verify(publicPaserk, token) {
  const key = V4.bytesToKeyObject(paserkBytes(publicPaserk, 'k4.public.', 32))
  const { payload, footer } = await V4.verify(token, key, { complete: true })
  return JSON.stringify({ payload, footer: footer ? footer.toString('utf8') : null })
}

async function sign(secretPaserk, footer, claimsJson) {
  const key = V4.bytesToKeyObject(paserkBytes(secretPaserk, 'k4.secret.', 64))
  return V4.sign(JSON.parse(claimsJson), key, { footer, iat: false })
}

async function main(argv) {
  const [cmd, ...args] = argv
  if (cmd === 'verify' && args.length === 2) return verify(...args)
  if (cmd === 'sign' && args.length === 3) return sign(...args)
  throw new Error('usage: interop.js verify PUBLIC TOKEN | sign SECRET FOOTER CLAIMS')
}

main(process.argv.slice(2)).then(
  (out) => { process.stdout.write(out + '\n') },
  (err) => { process.stderr.write(`interop: ${err.message}\n`); process.exitCode = 1 },
)
