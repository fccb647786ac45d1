import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { session, homeFor } from './session'

const STAFF = ['admin', 'operator', 'dispatcher', 'department_handler', 'grid_worker', 'supervisor', 'leader']
const SCREEN = ['leader', 'admin', 'dispatcher', 'supervisor']

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
  { path: '/portal', component: () => import('./pages/ResidentPortal.vue'), meta: { public: true } },
  { path: '/screen', component: () => import('./pages/CommandCentre.vue'), meta: { roles: SCREEN } },
  {
    path: '/',
    component: () => import('./layouts/ConsoleLayout.vue'),
    children: [
      { path: '', name: 'home', redirect: () => homeFor(session.user?.role) },
      { path: 'intake', component: () => import('./pages/IntakePage.vue'), meta: { roles: ['operator', 'dispatcher', 'admin'] } },
      { path: 'dispatch', component: () => import('./pages/DispatchQueue.vue'), meta: { roles: ['dispatcher', 'admin'] } },
      { path: 'orders', component: () => import('./pages/OrderList.vue'), meta: { roles: STAFF } },
      { path: 'orders/:id', component: () => import('./pages/OrderDetail.vue'), meta: { roles: [...STAFF, 'resident'] } },
      { path: 'inbox', component: () => import('./pages/InboxPage.vue'), meta: { roles: ['department_handler', 'admin'] } },
      { path: 'grid', component: () => import('./pages/GridPage.vue'), meta: { roles: ['grid_worker', 'admin'] } },
      { path: 'admin/regions', component: () => import('./pages/admin/RegionsPage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/departments', component: () => import('./pages/admin/DepartmentsPage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/taxonomy', component: () => import('./pages/admin/TaxonomyPage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/linkage', component: () => import('./pages/admin/LinkagePage.vue'), meta: { roles: ['admin', 'dispatcher'] } },
      { path: 'admin/users', component: () => import('./pages/admin/UsersPage.vue'), meta: { roles: ['admin', 'security_admin'] } },
      // 账号安全: every signed-in role (a restricted session is sent here to finish its login).
      { path: 'account', component: () => import('./pages/account/AccountPage.vue') },
      { path: 'admin/holidays', component: () => import('./pages/admin/HolidaysPage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/knowledge', component: () => import('./pages/admin/KnowledgePage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/sensing', component: () => import('./pages/admin/SensingPage.vue'), meta: { roles: ['admin', 'supervisor', 'dispatcher', 'leader'] } },
      { path: 'admin/jobs', component: () => import('./pages/admin/JobsPage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/audit', component: () => import('./pages/admin/AuditLog.vue'), meta: { roles: ['auditor'] } },
      { path: 'notifications', component: () => import('./pages/NotificationsPage.vue'), meta: { roles: STAFF } },
      { path: 'watch/:list', component: () => import('./pages/WatchQueue.vue'), meta: { roles: ['dispatcher', 'supervisor', 'leader', 'admin'] } },
      // 社区 (community database and participation)
      { path: 'community/registry', component: () => import('./views/community/RegistryPage.vue'), meta: { roles: ['admin', 'grid_worker', 'supervisor', 'dispatcher', 'leader'] } },
      { path: 'community/wishes', component: () => import('./views/community/WishWall.vue'), meta: { roles: ['resident', 'admin', 'grid_worker', 'supervisor', 'dispatcher', 'leader'] } },
      { path: 'community/snaps', component: () => import('./views/community/SnapReports.vue'), meta: { roles: ['resident', 'admin', 'grid_worker', 'supervisor', 'dispatcher', 'leader'] } },
      { path: 'community/points', component: () => import('./views/community/PointsPage.vue'), meta: { roles: ['resident', 'admin', 'grid_worker', 'supervisor'] } },
      { path: 'community/mediation', component: () => import('./views/community/MediationPage.vue'), meta: { roles: ['admin', 'grid_worker', 'supervisor', 'leader'] } },
      { path: 'community/trust', component: () => import('./views/community/TrustProperty.vue'), meta: { roles: ['resident', 'admin', 'grid_worker', 'supervisor', 'leader'] } },
      { path: 'community/groups', component: () => import('./views/community/GroupChats.vue'), meta: { roles: ['resident', 'admin', 'grid_worker', 'supervisor', 'leader'] } },
      { path: 'flash-reports', component: () => import('./pages/FlashReports.vue'), meta: { roles: ['leader', 'dispatcher', 'supervisor'] } },
    ],
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!session.token || !session.user) {
    return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  }
  const roles = to.meta.roles as string[] | undefined
  if (roles && !roles.includes(session.user.role)) {
    const home = homeFor(session.user.role)
    return to.path === home ? true : home
  }
  return true
})
