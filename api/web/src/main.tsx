import { render } from "preact";
import { adoptTokenFromFragment } from "./api";
import { App } from "./app";
import { lang } from "./i18n";
import "./style.css";

const adopted = adoptTokenFromFragment();
document.documentElement.lang = lang.get();
render(<App refused={!adopted} />, document.getElementById("app")!);
