// The subject planner without a database: what is followed, what is detached, what is never
// touched, and an order in which rows can be deleted (cycles included).
#include <gtest/gtest.h>

#include <algorithm>

#include "anonkit/error.hpp"
#include "anonkit/subject/graph.hpp"

namespace anonkit::subject {
namespace {

Reference fk(std::string name, std::string child, std::vector<std::string> cc, std::string parent,
             std::vector<std::string> pc, bool nullable = true, bool deferrable = false) {
  return {std::move(name), std::move(child), std::move(parent), std::move(cc), std::move(pc), true,
          deferrable,      nullable};
}

Graph shop() {
  Graph g;
  g.references = {
      fk("customers_referred_by_fkey", "customers", {"referred_by"}, "customers", {"id"}),
      fk("customers_primary_address_fkey", "customers", {"primary_address_id"}, "addresses",
         {"id"}),
      fk("addresses_customer_fkey", "addresses", {"customer_id"}, "customers", {"id"}, false),
      fk("orders_customer_fkey", "orders", {"customer_id"}, "customers", {"id"}, false),
      fk("lines_order_fkey", "order_lines", {"order_id"}, "orders", {"id"}, false),
      fk("lines_product_fkey", "order_lines", {"product_id"}, "products", {"id"}, false),
      fk("payments_line_fkey", "payments", {"order_id", "line_no"}, "order_lines",
         {"order_id", "line_no"}, false),
      fk("comments_customer_fkey", "comments", {"customer_id"}, "customers", {"id"}),
      fk("comments_parent_fkey", "comments", {"parent_id"}, "comments", {"id"}),
      {"link 1", "support_tickets", "customers", {"email"}, {"email"}, false, false, true},
      fk("invoices_order_fkey", "invoices", {"order_id"}, "orders", {"id"}),
      fk("products_supplier_fkey", "products", {"supplier_id"}, "suppliers", {"id"}),
  };
  return g;
}

std::size_t pos(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<std::size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

TEST(SubjectPlan, FollowsChildrenNeverSharedDataNorOtherSubjects) {
  const Graph g = shop();
  const Plan p = make_plan(g, "customers", {"customers"});
  EXPECT_EQ(p.tables,
            (std::vector<std::string>{"customers", "addresses", "orders", "comments",
                                      "support_tickets", "order_lines", "invoices", "payments"}));
  // products and suppliers are reference data: an order line points at them, never the reverse.
  EXPECT_EQ(pos(p.tables, "products"), p.tables.size());
  // Other customers (referrals, a primary address pointing here) are detached, not followed.
  std::vector<std::string> detached;
  for (auto i : p.detach) detached.push_back(g.references[i].name);
  EXPECT_EQ(detached, (std::vector<std::string>{"customers_referred_by_fkey",
                                                "customers_primary_address_fkey"}));
}

TEST(SubjectPlan, DeletesChildrenBeforeParents) {
  const Graph g = shop();
  const Plan p = make_plan(g, "customers", {"customers"});
  ASSERT_EQ(p.deletion_order.size(), p.tables.size());
  for (std::size_t i : p.follow) {
    const Reference& r = g.references[i];
    if (r.child == r.parent || !r.declared) continue;
    EXPECT_LT(pos(p.deletion_order, r.child), pos(p.deletion_order, r.parent)) << r.name;
  }
  EXPECT_EQ(p.deletion_order.back(), "customers");
  EXPECT_TRUE(p.null_first.empty());
  EXPECT_TRUE(p.deferred.empty());
}

TEST(SubjectPlan, BreaksACycleAtANullableThenADeferrableReference) {
  Graph g;
  g.references = {fk("a_customer", "a", {"customer_id"}, "customers", {"id"}, false),
                  fk("b_a", "b", {"a_id"}, "a", {"id"}, false),
                  fk("a_b", "a", {"b_id"}, "b", {"id"}, true)};
  Plan p = make_plan(g, "customers", {"customers"});
  ASSERT_EQ(p.null_first.size(), 1u);
  EXPECT_EQ(g.references[p.null_first[0]].name, "a_b");
  EXPECT_LT(pos(p.deletion_order, "b"), pos(p.deletion_order, "a"));

  g.references[2].nullable = false;
  g.references[2].deferrable = true;
  p = make_plan(g, "customers", {"customers"});
  ASSERT_EQ(p.deferred.size(), 1u);
  EXPECT_EQ(g.references[p.deferred[0]].name, "a_b");

  g.references[2].deferrable = false;
  try {
    (void)make_plan(g, "customers", {"customers"});
    FAIL() << "an unbreakable cycle was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("a, b"), std::string::npos) << e.what();
  }
}

TEST(SubjectPlan, AnotherSubjectKindIsNeverEntered) {
  Graph g = shop();
  g.references.push_back(fk("orders_agent_fkey", "orders", {"agent_id"}, "agents", {"id"}));
  // From the agent's side, orders are reached (they reference the agent), customers are not.
  const Plan p = make_plan(g, "agents", {"agents", "customers"});
  EXPECT_EQ(pos(p.tables, "customers"), p.tables.size());
  EXPECT_NE(pos(p.tables, "orders"), p.tables.size());
}

TEST(SubjectPlan, DescribeReadsLikeExplain) {
  const Graph g = shop();
  const std::string text = describe(g, make_plan(g, "customers", {"customers"}));
  EXPECT_NE(text.find("subject root: customers"), std::string::npos);
  EXPECT_NE(text.find("support_tickets  via link link 1(email) -> customers(email)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("customers(referred_by) -> customers(id)"), std::string::npos) << text;
  EXPECT_NE(text.find("deletion order (children first):"), std::string::npos);
}

}  // namespace
}  // namespace anonkit::subject
