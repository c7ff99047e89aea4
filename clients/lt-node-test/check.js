// Runs languagetool-api (from npm, unchanged) against a replycoach server and prints what it
// got as one JSON object. The package has LanguageTool's public address built in; the only
// change made here is that address, swapped for the server under test (argv[2]) inside the
// `request` function the package calls. Its query building, JSON parsing, showMistakes
// (context.text.substr(context.offset, context.length): UTF-16 offsets) and bestSuggestion
// run as published.
"use strict";
const base = process.argv[2];
const request = require("request");
require.cache[require.resolve("request")].exports = function (url, ...rest) {
  return request(String(url).replace("https://languagetool.org/api", base + ""), ...rest);
};
const languagetool = require("languagetool-api");

const check = (params) =>
  new Promise((resolve, reject) =>
    languagetool.check(params, (err, res) => (err ? reject(err) : resolve(res))));

(async () => {
  const out = {};
  const text = "😀亲，我保证明天发货，你放心";
  const res = await check({ language: "zh-CN", text });
  out.plain = {
    rules: res.matches.map((m) => m.rule.id),
    categories: res.matches.map((m) => m.rule.category.id),
    // the offsets, read by JavaScript (UTF-16) on the text it sent
    excerpts: res.matches.map((m) => text.substr(m.offset, m.length)),
    language: res.language.code,
  };
  languagetool.showMistakes(res, (mistakes) => { out.plain.mistakes = mistakes; });
  languagetool.bestSuggestion(res, (best) => { out.plain.best = best; });

  const tone = await check({
    language: "auto", text, preferredVariants: ["zh-TW"],
    enabledCategories: ["TONE"], enabledOnly: true,
  });
  out.toneOnly = { rules: tone.matches.map((m) => m.rule.id), language: tone.language.code,
    detected: tone.language.detectedLanguage.code };

  const noTone = await check({ language: "zh-CN", text, disabledCategories: ["TONE"] });
  out.withoutTone = noTone.matches.map((m) => m.rule.id);

  const long = "我".repeat(3) + "好的" + "呢".repeat(80);
  const picky = await check({ language: "zh-CN", text: long, level: "picky" });
  out.picky = picky.matches.map((m) => m.rule.id);
  const plain = await check({ language: "zh-CN", text: long });
  out.notPicky = plain.matches.map((m) => m.rule.id);

  out.languages = await new Promise((resolve, reject) =>
    languagetool.codes((err, res) => (err ? reject(err) : resolve(res.map((l) => l.longCode)))));
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
