import { render } from "preact";
import { adoptTokenFromFragment } from "./api";
import { App } from "./app";
import { lang } from "./i18n";
import "./style.css";

adoptTokenFromFragment();
document.documentElement.lang = lang.get();
render(<App />, document.getElementById("app")!);
