using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Idunox.Shared.Modularity;

/// <summary>
/// A module plugged into the host. Its registration type is the only public type of its implementation assembly;
/// the host lists modules explicitly and skips those switched off with <c>Modules:&lt;Name&gt;:Enabled=false</c>.
/// </summary>
public interface IModule
{
    string Name { get; }

    /// <summary>
    /// The other modules' contracts this one cannot work without (a type from each, e.g. <c>typeof(IOrganisationDirectory)</c>):
    /// each belongs to the module its assembly names (<c>Idunox.&lt;Module&gt;.Contracts</c>), and the host refuses to
    /// start with that module switched off.
    /// </summary>
    IReadOnlyList<Type> DependsOn => [];

    /// <summary>Registers the module's services: its DbContext, options, authentication schemes, jobs, verbs.</summary>
    void AddServices(IHostApplicationBuilder builder);

    /// <summary>
    /// The assembly holding the module's routable pages (Razor components with <c>@page</c>), when it has any. Pages are
    /// the only public types of a module besides its registration type: the router finds them through public types.
    /// </summary>
    System.Reflection.Assembly? PageAssembly => null;

    /// <summary>Maps the module's HTTP endpoints.</summary>
    void MapEndpoints(IEndpointRouteBuilder routes);
}
