#pragma once
// The one registry of running connectors (STYLE.md habit 10). Filled at start-up by the
// app, read-only afterwards, so lookups need no lock.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connector/connector.hpp"

namespace passerelle {

class ConnectorRegistry {
 public:
  void add(std::unique_ptr<Connector> c) {
    by_name_[c->name()] = c.get(), all_.push_back(std::move(c));
  }
  Connector* find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  const std::vector<std::unique_ptr<Connector>>& all() const { return all_; }

 private:
  std::vector<std::unique_ptr<Connector>> all_;
  std::map<std::string, Connector*> by_name_;
};

}  // namespace passerelle
