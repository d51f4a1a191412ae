package agent

import (
	"context"
	"log/slog"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/palisade-dev/palisade/internal/core/rules"
)

// watchRoles keeps idx equal to the cluster's Roles and ClusterRoles until
// ctx ends, so that admission judges a binding with the role it
// references.
func watchRoles(ctx context.Context, client kubernetes.Interface, idx *rules.RoleIndex, logger *slog.Logger) {
	f := informers.NewSharedInformerFactory(client, 30*time.Minute)
	roles := f.Rbac().V1().Roles().Informer()
	clusterRoles := f.Rbac().V1().ClusterRoles().Informer()
	_, err := roles.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { addRole(idx, obj) },
		UpdateFunc: func(_, obj any) { addRole(idx, obj) },
		DeleteFunc: func(obj any) {
			if r, ok := deleted(obj).(*rbacv1.Role); ok {
				idx.DeleteRole(r.Namespace, r.Name)
			}
		},
	})
	if err == nil {
		_, err = clusterRoles.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { addRole(idx, obj) },
			UpdateFunc: func(_, obj any) { addRole(idx, obj) },
			DeleteFunc: func(obj any) {
				if r, ok := deleted(obj).(*rbacv1.ClusterRole); ok {
					idx.DeleteClusterRole(r.Name)
				}
			},
		})
	}
	if err != nil {
		logger.Error("cannot follow Roles and ClusterRoles: RBAC bindings are judged without their roles", "error", err)
		return
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	if cache.WaitForCacheSync(ctx.Done(), roles.HasSynced, clusterRoles.HasSynced) {
		logger.Info("following Roles and ClusterRoles for the RBAC rules", "roles", idx.Len())
	}
	<-ctx.Done()
}

func addRole(idx *rules.RoleIndex, obj any) {
	switch r := obj.(type) {
	case *rbacv1.Role:
		idx.AddRole(r)
	case *rbacv1.ClusterRole:
		idx.AddClusterRole(r)
	}
}

func deleted(obj any) any {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return d.Obj
	}
	return obj
}
