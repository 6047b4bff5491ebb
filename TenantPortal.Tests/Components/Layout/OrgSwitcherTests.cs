using TenantPortal.Components.Layout;

namespace TenantPortal.Tests.Components.Layout;

public sealed class OrgSwitcherTests
{
    [Theory]
    [InlineData("projects/6f1c1b2a-8f5e-4a5b-9c3d-2e1f0a9b8c7d", "projects")]
    [InlineData("projects/6f1c1b2a-8f5e-4a5b-9c3d-2e1f0a9b8c7d/agents", "projects")]
    [InlineData("projects/6f1c1b2a-8f5e-4a5b-9c3d-2e1f0a9b8c7d/keys?tab=1", "projects")]
    [InlineData("workspaces/6f1c1b2a-8f5e-4a5b-9c3d-2e1f0a9b8c7d/members", "workspaces")]
    [InlineData("projects", "projects")]
    [InlineData("members", "members")]
    [InlineData("audit?from=2026-01-01", "audit?from=2026-01-01")]
    [InlineData("organizations/new", "organizations/new")]
    [InlineData("", "")]
    public void A_page_of_one_thing_leads_to_the_list_of_its_kind_in_the_new_organization(string page, string expected) =>
        Assert.Equal(expected, OrgSwitcher.PageAfterSwitch(page));
}
