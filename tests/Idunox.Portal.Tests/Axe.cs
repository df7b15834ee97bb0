using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Idunox.Portal.Tests;

/// <summary>A screen reader's view of a page: axe finds no serious or critical violation.</summary>
public static class Axe
{
    public static async Task AssertAccessibleAsync(IPage page, string what)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{what}: " + string.Join("; ", serious.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));
    }
}
