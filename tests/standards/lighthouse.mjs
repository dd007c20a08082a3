// Lighthouse's accessibility and best-practices audits over the given URLs, one Chromium for
// all of them. Prints one JSON line per URL: its scores (0-100) and every audit of those
// categories that did not pass in full.
//
//   node lighthouse.mjs [--header "Name: value"]... URL...
//
// Chromium comes from CHROME_PATH; nothing is fetched from the network.
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const headers = {};
const urls = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--header") {
    const [name, ...value] = args[++i].split(":");
    headers[name.trim()] = value.join(":").trim();
  } else {
    urls.push(args[i]);
  }
}

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  for (const url of urls) {
    const { lhr } = await lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["accessibility", "best-practices"],
      extraHeaders: headers,
      // Scores of these categories do not depend on network speed: no throttling.
      throttlingMethod: "provided",
    });
    const failing = [];
    for (const category of Object.values(lhr.categories)) {
      for (const ref of category.auditRefs) {
        const audit = lhr.audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
          const items = (audit.details?.items ?? []).slice(0, 3).map((item) =>
            item.node?.snippet ?? item.source?.url ?? item.description ?? JSON.stringify(item));
          failing.push({ id: ref.id, title: audit.title, score: audit.score, items });
        }
      }
    }
    console.log(JSON.stringify({
      url,
      finalUrl: lhr.finalDisplayedUrl,
      runtimeError: lhr.runtimeError?.message ?? null,
      accessibility: Math.round(lhr.categories.accessibility.score * 100),
      bestPractices: Math.round(lhr.categories["best-practices"].score * 100),
      failing,
    }));
  }
} finally {
  await chrome.kill();
}
