#pragma once
// A small owned XML element tree: what the XMPP connector's pure layers (jid, stanza,
// inbound) work on. libstrophe stanzas are converted to and from it in the adapter
// (strophe_adapter.cpp), so nothing above the adapter sees libstrophe types and the
// stanza logic is testable without a server.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace passerelle::xmpp::xml {

struct Element {
  std::string name;  // empty: a text node, whose content is `text`
  std::string text;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<Element> children;

  Element() = default;
  explicit Element(std::string n) : name(std::move(n)) {}
  Element(std::string n, std::string_view xmlns) : name(std::move(n)) {
    if (!xmlns.empty()) set("xmlns", xmlns);
  }
  static Element text_node(std::string t) {
    Element e;
    e.text = std::move(t);
    return e;
  }

  bool is_text() const { return name.empty(); }

  // Sets (or replaces) an attribute; an empty value removes it. Chainable.
  Element& set(std::string_view key, std::string_view value);
  const std::string* attr(std::string_view key) const;
  std::string attr_or(std::string_view key, std::string_view fallback = {}) const;
  std::string ns() const { return attr_or("xmlns"); }

  // Appends and returns the child.
  Element& add(Element child);
  // Appends <name>text</name> (with an optional xmlns) and returns it.
  Element& add_text_child(std::string name, std::string text, std::string_view xmlns = {});
  Element& add_text(std::string t);

  // First element child with this name (any namespace when `xmlns` is empty).
  const Element* child(std::string_view name, std::string_view xmlns = {}) const;
  // First element child in namespace `xmlns`, whatever its name.
  const Element* child_ns(std::string_view xmlns) const;
  // Concatenated text of the direct text children.
  std::string inner_text() const;
};

// Escapes character data (& < >) or, with `attribute`, also quotes.
std::string escape(std::string_view s, bool attribute = false);
// Serialises without pretty-printing; attributes in insertion order, single-quoted.
std::string to_string(const Element& e);

}  // namespace passerelle::xmpp::xml
