// The message area at the top right: the API's errors (they stay until closed, with their code)
// and confirmations (they fade). Shared by the console and the statistics page.

import { $, h } from "./dom.js";
import { t } from "./i18n.js";

export function notify(kind, text, code) {
  const box = $("#notices");
  const first = box.firstElementChild;
  if (first && first.dataset.text === text) {
    first.dataset.count = String(Number(first.dataset.count || "1") + 1);
    return;
  }
  const item = h("div", { class: ["notice", kind], role: kind === "error" ? "alert" : null, dataset: { text, code } },
    code ? h("code", {}, code) : null,
    h("span", { class: "notice-text" }, text),
    h("button", { type: "button", class: "ghost close", title: t("dismiss"), onclick: () => item.remove() }, "×"));
  box.prepend(item);
  while (box.children.length > 5) box.lastElementChild.remove();
  if (kind !== "error") setTimeout(() => item.remove(), 6000);
}
