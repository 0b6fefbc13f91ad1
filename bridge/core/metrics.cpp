#include "core/metrics.hpp"

#include <fmt/format.h>

#include <cmath>

namespace passerelle {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra_key = {},
                       const std::string& extra_val = {}) {
  if (labels.empty() && extra_key.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + escape(v) + "\"";
  }
  if (!extra_key.empty()) {
    if (!first) out += ',';
    out += extra_key + "=\"" + extra_val + "\"";
  }
  return out + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

}  // namespace

void Gauge::add(double d) {
  double cur = v_.load(std::memory_order_relaxed);
  while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

Metrics::Family& Metrics::family(const std::string& name, Kind kind, const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  }
  return it->second;
}

Counter& Metrics::counter(const std::string& name, const std::string& help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Kind::counter, help).counters[std::move(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Kind::gauge, help).gauges[std::move(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                              std::vector<double> bounds, Labels labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Kind::histogram, help).histograms[std::move(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

void Metrics::gauge_fn(const std::string& name, const std::string& help, Labels labels,
                       std::function<double()> fn) {
  std::lock_guard lock(mu_);
  family(name, Kind::gauge, help).fns[std::move(labels)] = std::move(fn);
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    const char* type = f.kind == Kind::counter ? "counter"
                       : f.kind == Kind::gauge ? "gauge"
                                               : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, type);
    for (const auto& [labels, c] : f.counters)
      out += name + label_text(labels) + " " + number(double(c->value())) + "\n";
    for (const auto& [labels, g] : f.gauges)
      out += name + label_text(labels) + " " + number(g->value()) + "\n";
    for (const auto& [labels, fn] : f.fns)
      out += name + label_text(labels) + " " + number(fn()) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      const auto cum = h->cumulative();
      for (size_t i = 0; i < h->bounds().size(); ++i)
        out += name + "_bucket" + label_text(labels, "le", number(h->bounds()[i])) + " " +
               number(double(cum[i])) + "\n";
      out += name + "_bucket" + label_text(labels, "le", "+Inf") + " " +
             number(double(cum.back())) + "\n";
      out += name + "_sum" + label_text(labels) + " " + number(h->sum()) + "\n";
      out += name + "_count" + label_text(labels) + " " + number(double(h->count())) + "\n";
    }
  }
  return out;
}

}  // namespace passerelle
