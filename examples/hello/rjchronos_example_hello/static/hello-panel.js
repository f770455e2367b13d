// An ES-module panel of the example plugin, loaded by the web UI at run time.
//
// The shell imports this file and calls its default export with an element it
// owns and a context: { panel, params, locale, theme, api }. The panel draws
// into the element with plain DOM (or any library it bundles itself), and may
// return a function the shell calls when the panel goes away.

const WORDS = {
  en: { greeting: "The API says", refresh: "Ask again" },
  "pt-BR": { greeting: "A API diz", refresh: "Perguntar de novo" },
};

export default function mount(element, { locale, api }) {
  const words = WORDS[locale] ?? WORDS.en;
  const text = document.createElement("p");
  text.dataset.testid = "hello-panel";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = words.refresh;
  let live = true;
  const ask = async () => {
    const answer = await api.get("/hello");
    if (live) text.textContent = `${words.greeting}: ${answer.message}`;
  };
  button.addEventListener("click", ask);
  element.append(text, button);
  ask().catch((error) => {
    text.textContent = String(error.message ?? error);
  });
  return () => {
    live = false;
  };
}
