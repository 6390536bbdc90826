package app

import "context"

// errLastAdmin refuses to leave Rollcall without an admin who can sign in.
var errLastAdmin = Errorf(ECONFLICT, "This is the last active admin: Rollcall needs at least one who can sign in. Add or enable another admin first.")

// Admins lists every admin (any signed-in admin may see them), oldest first.
func (a *App) Admins(ctx context.Context) ([]*Admin, error) {
	list, err := a.Store.Admins(ctx)
	if list == nil {
		list = []*Admin{}
	}
	return list, err
}

// adminID resolves an admin reference: an ID, else a username.
func (a *App) adminID(ctx context.Context, ref string) (string, error) {
	if adm, err := a.Store.Admin(ctx, ref); err == nil {
		return adm.ID, nil
	}
	adm, err := a.Store.AdminByUsername(ctx, ref)
	if err != nil {
		return "", err
	}
	return adm.ID, nil
}

// SetAdminPassword gives the admin ref (ID or username) a new password,
// checked like a new admin's (CheckAdminPassword). The admin's sessions end
// in the same transaction, except when actorID is the admin themself (an
// admin changing their own password stays signed in here).
// Errors: ENOTFOUND, EINVALID.
func (a *App) SetAdminPassword(ctx context.Context, actorID, ref, password string) (*Admin, error) {
	id, err := a.adminID(ctx, ref)
	if err != nil {
		return nil, err
	}
	adm, err := a.Store.Admin(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := CheckAdminPassword(password, adm.Username); err != nil {
		return nil, err
	}
	hash, err := HashPassword(a.Rand, a.Hash, password)
	if err != nil {
		return nil, err
	}
	return a.Store.ChangeAdmin(ctx, id, func(adm *Admin, _ int) error {
		adm.PasswordHash = hash
		return nil
	}, actorID != id)
}

// SetAdminDisabled disables or enables the admin ref. Disabling ends all
// their sessions in the same transaction, and is refused for the last
// active admin. Errors: ENOTFOUND, ECONFLICT.
func (a *App) SetAdminDisabled(ctx context.Context, ref string, disabled bool) (*Admin, error) {
	id, err := a.adminID(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.Store.ChangeAdmin(ctx, id, func(adm *Admin, active int) error {
		if disabled && !adm.Disabled && active <= 1 {
			return errLastAdmin
		}
		adm.Disabled = disabled
		return nil
	}, disabled)
}

// DeleteAdmin removes the admin ref and all their sessions in one
// transaction; the last active admin is refused. Errors: ENOTFOUND, ECONFLICT.
func (a *App) DeleteAdmin(ctx context.Context, ref string) error {
	id, err := a.adminID(ctx, ref)
	if err != nil {
		return err
	}
	return a.Store.DeleteAdmin(ctx, id, func(adm *Admin, active int) error {
		if !adm.Disabled && active <= 1 {
			return errLastAdmin
		}
		return nil
	})
}
