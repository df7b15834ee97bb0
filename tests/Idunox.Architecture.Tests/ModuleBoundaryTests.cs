using System.Reflection;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using NetArchTest.Rules;

namespace Idunox.Architecture.Tests;

public sealed class ModuleBoundaryTests
{
    [Theory]
    [MemberData(nameof(Modules.All), MemberType = typeof(Modules))]
    public void A_module_references_only_Shared_and_other_modules_Contracts(string module)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            Modules.Shared.GetName().Name!, Modules.SharedAbstractions.GetName().Name!, typeof(Idunox.Shared.Web.WebSurface).Assembly.GetName().Name!,
        };
        allowed.UnionWith(Modules.Names.Select(n => $"Idunox.{n}.Contracts"));

        var idunoxReferences = Modules.Implementation(module).GetReferencedAssemblies()
            .Select(a => a.Name!).Where(n => n.StartsWith("Idunox.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(idunoxReferences);
        Assert.All(idunoxReferences, reference => Assert.Contains(reference, allowed));

        // And at type level: no type of this module uses a type of another module's implementation.
        // (Full type names, not namespaces: NetArchTest matches prefixes, and Idunox.X is a prefix of Idunox.X.Contracts.)
        var foreignTypes = Modules.Names.Where(n => n != module)
            .SelectMany(n => Modules.Implementation(n).GetTypes())
            .Where(t => t.Namespace?.StartsWith("Idunox.", StringComparison.Ordinal) == true && !t.Name.Contains('<', StringComparison.Ordinal))
            .Select(t => t.FullName!).ToArray();
        Assert.NotEmpty(foreignTypes);
        var types = Types.InAssembly(Modules.Implementation(module));
        Assert.NotEmpty(types.GetTypes());
        var result = types.ShouldNot().HaveDependencyOnAny(foreignTypes).GetResult();
        Assert.True(result.IsSuccessful, $"{module} uses other modules' internals: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Contracts_reference_no_EF_Core_ASP_NET_Core_or_Hangfire()
    {
        string[] forbidden = ["Microsoft.EntityFrameworkCore", "Microsoft.AspNetCore", "Hangfire", "Npgsql"];
        var contracts = Modules.Names.Select(Modules.Contracts).OfType<Assembly>().Append(Modules.SharedAbstractions).ToList();

        var types = Types.InAssemblies(contracts);
        Assert.NotEmpty(types.GetTypes());
        var result = types.ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        Assert.True(result.IsSuccessful, $"Contracts depend on infrastructure: {string.Join(", ", result.FailingTypeNames ?? [])}");

        foreach (var assembly in contracts)
        {
            var references = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
            Assert.NotEmpty(references);
            Assert.DoesNotContain(references, r => forbidden.Any(f => r.StartsWith(f, StringComparison.Ordinal)));
        }
    }

    [Theory]
    [MemberData(nameof(Modules.All), MemberType = typeof(Modules))]
    public void Implementation_types_are_internal_except_the_module_type_and_its_pages(string module)
    {
        var types = Types.InAssembly(Modules.Implementation(module));
        Assert.NotEmpty(types.That().AreNotPublic().GetTypes());

        // Razor components are public (the router finds pages through public types); they reach the module's
        // use cases through injected services and private members, so nothing else becomes public with them.
        var publicTypes = types.That().ArePublic().GetTypes().Where(t => !t.IsNested).ToList();
        var components = publicTypes.Where(t => typeof(Microsoft.AspNetCore.Components.IComponent).IsAssignableFrom(t) || t.Name == "_Imports").ToList();
        Assert.Equal([Modules.ModuleType(module)], publicTypes.Except(components));
        Assert.All(components, c => Assert.DoesNotContain(c.GetProperties(), p => p.PropertyType.Assembly == c.Assembly && !p.PropertyType.IsPublic));
    }

    /// <summary>
    /// A page is a view of its feature: it lives beside its use case (the feature's folder and namespace, e.g.
    /// <c>Keys/Rotate/</c>) and calls it; it never reaches the database itself (no DbContext injected, nor a service
    /// that hands one out).
    /// </summary>
    [Theory]
    [MemberData(nameof(Modules.All), MemberType = typeof(Modules))]
    public void A_page_calls_its_features_use_case_and_no_DbContext(string module)
    {
        var assembly = Modules.Implementation(module);
        var pages = assembly.GetTypes()
            .Where(t => typeof(Microsoft.AspNetCore.Components.IComponent).IsAssignableFrom(t) &&
                        t.GetCustomAttributes<Microsoft.AspNetCore.Components.RouteAttribute>().Any())
            .ToList();
        if (Program.Modules.Single(m => m.Name == module).PageAssembly is null)
        {
            Assert.Empty(pages);
            return;
        }

        Assert.NotEmpty(pages);
        foreach (var page in pages)
        {
            var injected = page.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(p => p.GetCustomAttribute<Microsoft.AspNetCore.Components.InjectAttribute>() is not null)
                .Select(p => p.PropertyType).ToList();
            Assert.DoesNotContain(injected, HandsOutADbContext);
            var own = injected.Where(t => t.Assembly == assembly).ToList();
            if (own.Count > 0)
            {
                Assert.True(own.Any(t => t.Namespace == page.Namespace),
                    $"{page.FullName} calls {string.Join(", ", own.Select(t => t.FullName))}, none of them its feature's (namespace {page.Namespace}).");
            }
        }
    }

    private static bool HandsOutADbContext(Type type) =>
        typeof(DbContext).IsAssignableFrom(type) ||
        type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Any(p => typeof(DbContext).IsAssignableFrom(p.PropertyType));

    [Theory]
    [MemberData(nameof(Modules.All), MemberType = typeof(Modules))]
    public void A_modules_tables_live_in_its_schema(string module)
    {
        using var context = PostgresContextOf(module);
        var model = context.GetService<IDesignTimeModel>().Model;

        var entities = model.GetEntityTypes().Where(e => e.GetTableName() is not null).ToList();
        Assert.NotEmpty(entities);
        Assert.All(entities, e => Assert.Equal(context.Schema, e.GetSchema()));
        Assert.Equal(module.ToLowerInvariant(), context.Schema);
    }

    [Fact]
    public void Every_tenant_owned_table_carries_the_named_tenant_filter()
    {
        var tenantOwned = Modules.Names.SelectMany(n =>
        {
            using var context = PostgresContextOf(n);
            return context.GetService<IDesignTimeModel>().Model.GetEntityTypes()
                .Where(e => typeof(ITenantOwned).IsAssignableFrom(e.ClrType))
                .Select(e => (e.ClrType, Filters: e.GetDeclaredQueryFilters().Select(f => f.Key).ToList()))
                .ToList();
        }).ToList();

        Assert.NotEmpty(tenantOwned);
        Assert.All(tenantOwned, e => Assert.Contains(ModuleDbContext.TenantFilter, e.Filters));
    }

    [Fact]
    public void Every_tenant_owned_entity_is_mapped_by_a_module_context()
    {
        var tenantOwned = Modules.Names.SelectMany(n => Modules.Implementation(n).GetTypes())
            .Where(t => typeof(ITenantOwned).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false }).ToList();
        Assert.NotEmpty(tenantOwned);

        var mapped = Modules.Names.SelectMany(n =>
        {
            using var context = PostgresContextOf(n);
            return context.GetService<IDesignTimeModel>().Model.GetEntityTypes().Select(e => e.ClrType).ToList();
        }).ToHashSet();
        Assert.All(tenantOwned, t => Assert.Contains(t, mapped));
    }

    /// <summary>
    /// Entities with a tenant column that the tenant filter does not guard, each with why. Anything else with a tenant
    /// column must be <see cref="ITenantOwned"/>, so that reading it without a tenant finds nothing.
    /// </summary>
    private static readonly Dictionary<string, string> TenantColumnsOutsideTheFilter = new(StringComparer.Ordinal)
    {
        ["PartnerUser"] = "sign-in finds a user by e-mail before any tenant is known, and the user is where the tenant comes from; " +
            "tenant-scoped reads of users filter by TenantId explicitly (Provisioning.ListByTenantAsync, ChangePassword)",
        ["OutgoingEmail"] = "e-mails are queued in a tenant's scope but sent by the e-mail-dispatch job across tenants; no endpoint reads them",
        ["OutboxMessage"] = "the outbox is dispatched across tenants, and the dispatcher puts each event in its own tenant's scope",
        ["UserSession"] = "a session is checked on every request before the tenant is resolved (the session says who is signed in), and " +
            "staff sessions have no tenant; every read filters by the signed-in user's id (UserSessions)",
        ["StaffAction"] = "the staff action log is Idunox's own record across organisations; its tenant column names the organisation acted on",
    };

    [Fact]
    public void Every_entity_with_a_tenant_column_is_tenant_owned_or_named_with_a_reason()
    {
        var withTenantColumn = Modules.Names.SelectMany(n =>
        {
            using var context = PostgresContextOf(n);
            return context.GetService<IDesignTimeModel>().Model.GetEntityTypes()
                .Where(e => e.FindProperty(nameof(ITenantOwned.TenantId)) is not null)
                .Select(e => e.ClrType)
                .ToList();
        }).Distinct().ToList();
        Assert.True(withTenantColumn.Count >= 4, $"only {withTenantColumn.Count} entities with a tenant column found");

        var unguarded = withTenantColumn.Where(t => !typeof(ITenantOwned).IsAssignableFrom(t)).Select(t => t.Name).Order().ToList();
        Assert.Equal(TenantColumnsOutsideTheFilter.Keys.Order(), unguarded);
    }

    /// <summary>The module's PostgreSQL context, built by its own design-time factory (no database needed).</summary>
    private static ModuleDbContext PostgresContextOf(string module)
    {
        var factory = Modules.Implementation(module).GetTypes().Single(t =>
            !t.IsAbstract && t.Name.StartsWith("Postgres", StringComparison.Ordinal) &&
            t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDesignTimeDbContextFactory<>)));
        var create = factory.GetMethod("CreateDbContext", BindingFlags.Public | BindingFlags.Instance)!;
        return (ModuleDbContext)create.Invoke(Activator.CreateInstance(factory, nonPublic: true), [Array.Empty<string>()])!;
    }
}

/// <summary>The modules' project references, read from the .csproj files: one way only, and each one used.</summary>
public sealed class ModuleDependencyTests
{
    private static readonly string Root = FindRoot();

    /// <summary>Each module's projects (implementation and Contracts) and the other modules' projects they reference.</summary>
    private static Dictionary<string, HashSet<string>> ModuleGraph()
    {
        var graph = Modules.Names.ToDictionary(n => n, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var project in Directory.GetFiles(Path.Combine(Root, "modules"), "*.csproj", SearchOption.AllDirectories))
        {
            var owner = ModuleOfProject(Path.GetFileNameWithoutExtension(project));
            if (owner is null)
            {
                continue;
            }

            foreach (var reference in ProjectReferences(project))
            {
                if (ModuleOfProject(reference) is { } target && target != owner)
                {
                    graph[owner].Add(target);
                }
            }
        }

        return graph;
    }

    [Fact]
    public void Module_dependencies_go_one_way_with_no_cycle()
    {
        var graph = ModuleGraph();
        Assert.Contains("Identity", graph["Credentials"]); // the graph is read, not empty

        var cycles = new List<string>();
        foreach (var start in graph.Keys)
        {
            // Every module reachable from this one; reaching itself again is a cycle.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var queue = new Queue<(string Module, string Path)>(graph[start].Select(n => (n, $"{start} → {n}")));
            while (queue.TryDequeue(out var next))
            {
                if (next.Module == start)
                {
                    cycles.Add(next.Path);
                    break;
                }

                if (seen.Add(next.Module))
                {
                    foreach (var further in graph[next.Module])
                    {
                        queue.Enqueue((further, $"{next.Path} → {further}"));
                    }
                }
            }
        }

        Assert.True(cycles.Count == 0, $"Modules depend on each other in a circle: {string.Join("; ", cycles)}");
        Assert.Empty(graph["Identity"]); // the base every other module builds on
    }

    [Theory]
    [MemberData(nameof(Modules.All), MemberType = typeof(Modules))]
    public void Every_reference_to_another_modules_Contracts_is_used(string module)
    {
        var project = Path.Combine(Root, "modules", module, $"Idunox.{module}", $"Idunox.{module}.csproj");
        var declared = ProjectReferences(project).Where(r => r.EndsWith(".Contracts", StringComparison.Ordinal) && r != $"Idunox.{module}.Contracts").ToList();
        // The compiler keeps an assembly reference only when a type of it is used.
        var used = Modules.Implementation(module).GetReferencedAssemblies().Select(a => a.Name!).ToHashSet(StringComparer.Ordinal);

        Assert.All(declared, reference => Assert.True(used.Contains(reference), $"{project} references {reference} and uses nothing from it"));
    }

    private static string? ModuleOfProject(string project) =>
        project.Split('.') is ["Idunox", var module, ..] && Modules.Names.Contains(module) ? module : null;

    private static IEnumerable<string> ProjectReferences(string project) =>
        System.Xml.Linq.XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Idunox.Modular.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository's root (Idunox.Modular.sln) is not above the test's folder.");
    }
}
