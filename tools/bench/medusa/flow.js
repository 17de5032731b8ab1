// flow.js: Medusa's payment module, run as a library on PostgreSQL, doing
// the accept-payment flow that Kassa's BenchmarkAcceptPayment does: create
// a payment collection, create a session with the system provider,
// authorize it, capture it, refund part of it. Prints "flows/s N".
//
//   node flow.js <postgres url> <flows> <concurrency>
//
// Run from a directory where @medusajs/framework and @medusajs/payment
// are installed (tools/bench/compare.sh does that, outside the repository).
const { MedusaApp, MedusaAppMigrateUp } = require("@medusajs/framework/modules-sdk")
const { Modules, ModulesSdkUtils, ContainerRegistrationKeys } = require("@medusajs/framework/utils")

async function main() {
  const [url, flowsArg, concArg] = process.argv.slice(2)
  const flows = Number(flowsArg || 1000)
  const conc = Number(concArg || 16)
  const pg = ModulesSdkUtils.createPgConnection({ clientUrl: url })
  const deps = { [ContainerRegistrationKeys.PG_CONNECTION]: pg }
  const options = {
    modulesConfig: { [Modules.PAYMENT]: { resolve: "@medusajs/payment", options: {} } },
    sharedResourcesConfig: { database: { clientUrl: url } },
    injectedDependencies: deps,
  }
  await MedusaAppMigrateUp(options)
  const app = await MedusaApp(options)
  const pm = app.modules[Modules.PAYMENT]

  const flow = async () => {
    const col = await pm.createPaymentCollections({ currency_code: "sek", amount: 5000 })
    const ses = await pm.createPaymentSession(col.id, {
      provider_id: "pp_system_default", currency_code: "sek", amount: 5000, data: {},
    })
    const pay = await pm.authorizePaymentSession(ses.id, {})
    await pm.capturePayment({ payment_id: pay.id, amount: 5000 })
    await pm.refundPayment({ payment_id: pay.id, amount: 1000 })
  }

  // Warm up as Kassa's benchmarks do: a flow from each caller at once, so
  // that the pool holds a connection for each and every code path has run.
  await Promise.all(Array.from({ length: conc }, flow))
  let next = 0
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next++ < flows) await flow()
  }))
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  console.log(`flows/s ${(flows / secs).toFixed(1)}`)
  await app.onApplicationShutdown()
  await pg.destroy()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
