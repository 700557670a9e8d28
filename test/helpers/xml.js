'use strict';
// A strict little XML well-formedness check for documents we generate (no DTD, no CDATA,
// no processing instructions besides an optional declaration): tags nest and close,
// attributes are quoted and unique, text and attribute values hold no bare `<` or `&`.
// Returns the element tree: { name, attrs, children: [element | string] }.

const NAME = '[A-Za-z_][\\w.:-]*';
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function checkText(text, where) {
  const bare = text.replace(ENTITY, '');
  if (/[<&]/.test(bare)) throw new Error(`not well-formed: a bare "<" or "&" in ${where}: ${JSON.stringify(text.slice(0, 80))}`);
}

function unescape(text) {
  return text.replace(ENTITY, (e) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" })[e] ||
    String.fromCodePoint(e[2] === 'x' ? parseInt(e.slice(3, -1), 16) : Number(e.slice(2, -1))));
}

function parseXml(source) {
  let s = source.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root = { name: '#document', attrs: {}, children: [] };
  const stack = [root];
  const tag = new RegExp(`^<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`);
  while (s.length > 0) {
    const lt = s.indexOf('<');
    const text = lt < 0 ? s : s.slice(0, lt);
    if (text) {
      checkText(text, `<${stack[stack.length - 1].name}>`);
      if (stack.length === 1 && text.trim()) throw new Error('not well-formed: text outside the root element');
      stack[stack.length - 1].children.push(unescape(text));
    }
    if (lt < 0) break;
    s = s.slice(lt);
    if (s.startsWith('<!--')) {
      const end = s.indexOf('-->');
      if (end < 0) throw new Error('not well-formed: unterminated comment');
      s = s.slice(end + 3);
      continue;
    }
    const m = tag.exec(s);
    if (m === null) throw new Error(`not well-formed: bad tag at ${JSON.stringify(s.slice(0, 60))}`);
    const [all, close, name, attrText, selfClose] = m;
    s = s.slice(all.length);
    if (close) {
      if (attrText || selfClose) throw new Error(`not well-formed: </${name}> with attributes`);
      const open = stack.pop();
      if (open.name !== name) throw new Error(`not well-formed: </${name}> closes <${open.name}>`);
      continue;
    }
    const attrs = {};
    for (const a of attrText.matchAll(new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g'))) {
      if (a[1] in attrs) throw new Error(`not well-formed: attribute ${a[1]} twice on <${name}>`);
      const value = a[2] !== undefined ? a[2] : a[3];
      checkText(value, `attribute ${a[1]} of <${name}>`);
      attrs[a[1]] = unescape(value);
    }
    const el = { name, attrs, children: [] };
    if (stack.length === 1 && root.children.some((c) => typeof c !== 'string')) throw new Error('not well-formed: two root elements');
    stack[stack.length - 1].children.push(el);
    if (!selfClose) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`not well-formed: <${stack[stack.length - 1].name}> is never closed`);
  const top = root.children.find((c) => typeof c !== 'string');
  if (!top) throw new Error('not well-formed: no root element');
  return top;
}

/** Every element of the tree, depth first. */
function elements(el) {
  return [el, ...el.children.filter((c) => typeof c !== 'string').flatMap(elements)];
}

/** The text content of an element. */
function textOf(el) {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

module.exports = { parseXml, elements, textOf };
